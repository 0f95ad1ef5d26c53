/** The ceiling's only activity: returns at once. */
export const ceilingActivities = {
  async noop(step: string): Promise<string> {
    return step;
  },
};
