import type { Command } from 'commander';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  defaultPorts,
  formatExports,
  localEnv,
} from '../../infra/local/local-env.ts';
import { startLocalPlatform } from '../../infra/local/platform.ts';
import { parsePort } from '../cli-error.ts';

export function registerLocalCommands(program: Command): void {
  const local = program
    .command('local')
    .description('Run the whole platform on this machine, with no AWS account');

  local
    .command('up')
    .description('Start DynamoDB and S3 stand-ins and the HTTP API in this process (Ctrl-C stops)')
    .option('--port <port>', 'HTTP API port; DynamoDB listens on port+1, S3 on port+2', String(DEFAULT_PORT))
    .option('--data-dir <dir>', 'where tables and objects are kept', DEFAULT_DATA_DIR)
    .option('--token <token>', 'require "Authorization: Bearer <token>" on the API')
    .action(async (options: { port: string; dataDir: string; token?: string }) => {
      const platform = await startLocalPlatform({
        port: parsePort(options.port),
        dataDir: options.dataDir,
        ...(options.token ? { token: options.token } : {}),
      });
      const lines = [
        `mlops local platform is up (data in ${platform.dataDir})`,
        `  API and MLflow tracking  ${platform.endpoints.gateway}`,
        `  DynamoDB                 ${platform.endpoints.dynamodb}`,
        `  S3                       ${platform.endpoints.s3}`,
        `  health                   ${platform.endpoints.gateway}/health`,
        `Point tools at it with: eval "$(npx mlops local env --port ${options.port} --data-dir ${options.dataDir})"`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await platform.stop();
      process.stdout.write('mlops local platform stopped\n');
    });

  local
    .command('env')
    .description(
      'Print export lines that point the AWS SDKs, the AWS CLI, MLflow and mlops at a local platform',
    )
    .option('--port <port>', "the platform's HTTP API port", String(DEFAULT_PORT))
    .option('--data-dir <dir>', "the platform's data dir (for reference; the ports decide)", DEFAULT_DATA_DIR)
    .action((options: { port: string }) => {
      const port = parsePort(options.port);
      process.stdout.write(`${formatExports(localEnv(defaultPorts(port)))}\n`);
    });
}
