// The page's one state store: every value the views read and the controllers change,
// in one object, with subscribers told after each update.

/** The page's initial state around a parsed configuration `state` ({config, activation, page}). */
export function initialState(state) {
  return {
    state, // the configuration: {config, activation, page} (config.js)
    adapter: null, // the WebGPU adapter found, in words, or null
    stats: null, // last parsed snapshot of the session (or of a viewed run file)
    // Whether `stats` describes the current configuration: false from a change of the
    // configuration until the first snapshot of the session that follows it.
    statsFresh: false,
    told: new Set(), // engine notices already shown
    fields: null, // feed-forward weights, neurons × inputs (Float32Array)
    map: null, // decision map of a 2-D task (Float32Array)
    points: null, // test points of a 2-D task (x0, x1, label)
    playing: false, // whether the worker trains now
    wantPlay: false, // what the user asked for (offscreen/hidden tab pauses)
    visible: true,
    uploaded: null, // {name, data}
    selected: 0, // the inspected neuron
    trace: [], // [{step, med: [...], lo: [...], hi: [...]}]
    goalTrace: [], // [[step, goal]]
    viewing: null, // an imported run file
    generation: 0, // of the worker's session: stats of a replaced one are dropped
    sessionError: null,
    creating: Promise.resolve(), // the latest session start
  };
}

export function createStore(initial) {
  const s = initial;
  const listeners = new Set();
  return {
    /** The state object itself (read it; change it through update). */
    s,
    /** Merges `patch` (an object, or a function of the state returning one) and tells the subscribers which keys changed. */
    update(patch) {
      const p = typeof patch === "function" ? patch(s) ?? {} : patch;
      Object.assign(s, p);
      const keys = Object.keys(p);
      listeners.forEach((f) => f(s, keys));
    },
    /** f(state, changedKeys) after every update; returns the unsubscribe function. */
    subscribe(f) {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  };
}

/** The last snapshot if it belongs to the current configuration (or to the viewed run file). */
export const currentStats = (s) => (s.viewing || s.statsFresh ? s.stats : null);
