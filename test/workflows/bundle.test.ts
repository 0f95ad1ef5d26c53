import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, workflowsPath } from '../helpers/temporal.ts';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

// The bundle is otherwise built only when a worker starts, so an illegal import would hide until production.
describe('workflow bundle', () => {
  it('bundles every workflow the worker hosts', async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: silent });
    expect(bundle.code).toContain('bonusWorkflow');
  });

  it('refuses workflow code that imports a Node built-in', async () => {
    const illegal = path.join(repositoryRoot, 'test', 'fixtures', 'illegal-workflow.ts');
    const errors: string[] = [];
    const logger = { ...silent, error: (message: string, meta?: unknown) => errors.push(`${message} ${JSON.stringify(meta ?? '')}`) };
    await expect(bundleWorkflowCode({ workflowsPath: illegal, logger })).rejects.toThrow(/Webpack finished with errors/);
    expect(errors.join('\n')).toMatch(/node:fs|'fs'|"fs"/);
  });
});
