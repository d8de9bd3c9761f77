// Putting messages in order: once per (conv, seq), in seq order, holes skipped.
//
// The same rules as the Python SDK (docs/protocol.md, section 6). Live
// messages may come out of order, twice (live and again by sync) or not at
// all. A message is handed out only once everything before it was, so a
// gap holds what follows until a sync fills it; `synced` says which seqs
// will never come, and the sequencer steps over them. Pure code: no I/O.

export const WAITING_LIMIT = 1000; // held messages per conversation
export const PATIENCE = 3; // syncs that may ignore a gapped conversation

class Conversation {
  constructor(done) {
    this.done = done; // everything up to here was handed out or skipped
    this.ahead = new Map(); // seq -> message, or null for a seq known from our own ack
    this.dropped = null; // lowest seq let go for want of room
    this.short = false; // the last completion stopped below a dropped seq
    this.unanswered = 0; // syncs in a row that left this gapped conversation out
  }
}

export class Sequencer {
  constructor(cursors = {}, limit = WAITING_LIMIT) {
    this.limit = limit;
    this.convs = new Map();
    this.reset(cursors);
  }

  /** Start again from stored cursors (a new connection); keep what our acks told. */
  reset(cursors) {
    const own = new Map();
    for (const [conv, state] of this.convs) {
      own.set(
        conv,
        [...state.ahead].filter(([, held]) => held === null).map(([seq]) => seq),
      );
    }
    this.convs = new Map(Object.entries(cursors).map(([c, s]) => [c, new Conversation(s)]));
    for (const [conv, seqs] of own) {
      const state = this.conv(conv);
      for (const seq of seqs) if (seq > state.done) state.ahead.set(seq, null);
    }
  }

  /** The cursor of every known conversation, as a sync frame wants them. */
  positions() {
    return Object.fromEntries([...this.convs].map(([conv, state]) => [conv, state.done]));
  }

  position(conv) {
    return this.convs.get(conv)?.done ?? 0;
  }

  gapped() {
    for (const state of this.convs.values()) {
      if (state.ahead.size || state.short || state.dropped !== null) return true;
    }
    return false;
  }

  /** A message arrived (live or replayed); returns the steps that may be taken now. */
  offer(message) {
    const state = this.conv(message.conv);
    if (message.seq <= state.done || state.ahead.has(message.seq)) return [];
    state.ahead.set(message.seq, message);
    this.bound(state);
    return this.release(message.conv, state);
  }

  /** Our own send was stored as `seq`: nothing to hand out, but the seq is taken. */
  own(conv, seq) {
    const state = this.conv(conv);
    if (seq <= state.done) return [];
    state.ahead.set(seq, null);
    return this.release(conv, state);
  }

  /** A sync gave every existing message up to these seqs: skip the holes below them. */
  complete(cursors) {
    const steps = [];
    for (const state of this.convs.values()) {
      state.short = false;
      state.unanswered = state.ahead.size ? state.unanswered + 1 : 0;
    }
    for (const [conv, upto] of Object.entries(cursors)) {
      const state = this.conv(conv);
      state.unanswered = 0;
      steps.push(...this.completeOne(conv, state, upto));
    }
    for (const [conv, state] of this.convs) {
      if (state.unanswered >= PATIENCE) {
        state.unanswered = 0;
        steps.push(...this.completeOne(conv, state, Math.max(...state.ahead.keys())));
      }
    }
    return steps;
  }

  completeOne(conv, state, upto) {
    if (state.dropped !== null) {
      if (upto >= state.dropped) {
        upto = state.dropped - 1;
        state.short = true;
      }
      state.dropped = null;
    }
    const steps = [];
    const below = [...state.ahead.keys()].filter((s) => s <= upto).sort((a, b) => a - b);
    for (const seq of below) {
      steps.push({ conv, seq, message: state.ahead.get(seq) });
      state.ahead.delete(seq);
      state.done = seq;
    }
    if (upto > state.done) {
      steps.push({ conv, seq: upto, message: null });
      state.done = upto;
    }
    return steps.concat(this.release(conv, state));
  }

  conv(conv) {
    let state = this.convs.get(conv);
    if (!state) {
      state = new Conversation(0);
      this.convs.set(conv, state);
    }
    return state;
  }

  release(conv, state) {
    const steps = [];
    while (state.ahead.has(state.done + 1)) {
      state.done += 1;
      steps.push({ conv, seq: state.done, message: state.ahead.get(state.done) });
      state.ahead.delete(state.done);
    }
    return steps;
  }

  /** Let the newest held messages go; a later sync brings them again. */
  bound(state) {
    while (state.ahead.size > this.limit) {
      const held = [...state.ahead].filter(([, m]) => m !== null).map(([seq]) => seq);
      if (!held.length) return;
      const newest = Math.max(...held);
      state.ahead.delete(newest);
      state.dropped = state.dropped === null ? newest : Math.min(state.dropped, newest);
    }
  }
}
