// Every workflow the worker hosts. Workflow code imports only @temporalio/workflow, domain/ and workflows/.
export { bonusWorkflow } from './bonus.ts';
