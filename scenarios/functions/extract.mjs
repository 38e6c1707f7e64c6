// Stand-in for the pipeline's first task (rekognition_extract): returns a
// small feature envelope built from its input, so scenarios can check the
// data flow of Step Functions without the real handlers.
// FAIL_WITH names an errorType to throw, to exercise Catch; SLEEP_MS
// makes the handler wait that long first, to run past a timeout.
export const handler = async (event) => {
  const sleepMs = Number(process.env.SLEEP_MS || 0);
  if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  if (process.env.FAIL_WITH) {
    const error = new Error(`stand-in failure for card ${event.cardId}`);
    error.name = process.env.FAIL_WITH;
    throw error;
  }
  return {
    features: { front: event.s3Keys?.front ?? null, words: ["Pikachu"] },
    cardId: event.cardId,
    requestId: event.requestId,
  };
};
