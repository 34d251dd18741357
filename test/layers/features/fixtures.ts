/** Definitions shared by the feature store tests. */
export const DEFINITIONS = `entities:
  - name: customer
    joinKeys:
      - { name: customer_id, type: string }
featureViews:
  - name: customer_stats
    entities: [customer]
    source:
      table: s3://mlops-lakehouse/tables/customer_stats
      eventTimeColumn: event_ts
      createdTimeColumn: created_ts
    ttl: 7d
    features:
      - { name: total_spend, type: float64 }
      - { name: orders, type: int64 }
featureServices:
  - name: fraud
    features:
      - view: customer_stats
`;
