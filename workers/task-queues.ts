/** The task queue every ledgerflow worker polls, unless LEDGERFLOW_TASK_QUEUE names another. */
export const defaultTaskQueue = 'ledgerflow';
