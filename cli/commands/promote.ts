import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { promoteModelVersion } from '../registry/promote-model-version.ts';

interface PromoteFlags {
  model: string;
  version: string;
  from: string;
  to: string;
  alias?: string;
  fromToken?: string;
  toToken?: string;
}

/** `mlops promote`: copy a model version into another registry (account, region or stage). */
export function registerPromoteCommand(program: Command): void {
  program
    .command('promote')
    .description(
      'Copy a model version and its artifacts into another registry, with lineage back to the source',
    )
    .requiredOption('--model <name>', 'registered model name')
    .requiredOption('--version <n>', 'version to promote')
    .requiredOption('--from <registry-url>', 'API URL of the source registry')
    .requiredOption('--to <registry-url>', 'API URL of the target registry')
    .option('--alias <alias>', 'alias to point at the promoted version in the target')
    .option('--from-token <token>', 'bearer token for the source API (default: $MLOPS_FROM_TOKEN)')
    .option('--to-token <token>', 'bearer token for the target API (default: $MLOPS_TO_TOKEN)')
    .action(async (flags: PromoteFlags) => {
      const fromToken = flags.fromToken ?? process.env.MLOPS_FROM_TOKEN;
      const toToken = flags.toToken ?? process.env.MLOPS_TO_TOKEN;
      const result = await promoteModelVersion({
        from: { url: checkUrl('--from', flags.from), ...(fromToken ? { token: fromToken } : {}) },
        to: { url: checkUrl('--to', flags.to), ...(toToken ? { token: toToken } : {}) },
        model: flags.model,
        version: flags.version,
        ...(flags.alias ? { alias: flags.alias } : {}),
        log: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(
        `promoted ${flags.model} version ${flags.version} → version ${result.targetVersion} ` +
          `(${result.copiedFiles} files copied, ${result.skippedFiles} present already${result.alreadyPromoted ? ', promoted before' : ''})\n`,
      );
    });
}

function checkUrl(option: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href.replace(/\/$/, '');
  } catch {
    // reported below
  }
  throw new CliError(`${option} must be an http(s) URL of a registry API, got ${value}`);
}
