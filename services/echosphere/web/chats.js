// What the person's chats look like right now: conversations, their messages
// (keyed by seq, so a message shown twice is one message), sends on their
// way, receipts, typing and unread counts, and the names of the people in
// them. It listens to the ChatLink and to a few HTTP calls, and tells the
// views with a "change" event whose detail names the conversation.

const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 2500;
export const RECALL_WINDOW_MS = 120_000;

export function directConv(a, b) {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

class Conversation {
  constructor(id, me) {
    this.id = id;
    this.isGroup = id.startsWith("g:");
    this.gid = this.isGroup ? id.slice(2) : null;
    this.peer = this.isGroup
      ? null
      : id
          .split(":")
          .slice(1)
          .find((u) => u !== me) || me;
    this.messages = new Map(); // seq -> message
    this.pending = new Map(); // cid -> message not yet acked (or refused)
    this.lastSeq = 0;
    this.readSeq = 0; // mine
    this.baseSeq = 0; // unread counts up to here come from the server's list
    this.baseUnread = 0;
    this.last = null; // newest message, for the list
    this.peerRead = 0; // one-to-one: the peer read up to here
    this.peerDelivered = 0; // one-to-one: a device of the peer has everything up to here
    this.readBy = new Map(); // group: user -> read seq
    this.typing = new Map(); // user -> shown until (ms)
    this.reachedStart = false;
    this.loaded = false; // a first history page was asked for
    this.typingSentAt = 0;
  }

  ordered() {
    const stored = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    const waiting = [...this.pending.values()].sort((a, b) => a.ts - b.ts);
    return stored.concat(waiting);
  }

  lowestSeq() {
    let low = null;
    for (const seq of this.messages.keys()) if (low === null || seq < low) low = seq;
    return low;
  }

  activity() {
    const waiting = [...this.pending.values()].map((m) => m.ts);
    return Math.max(this.last?.ts || 0, ...waiting, 0);
  }
}

export class ChatState extends EventTarget {
  constructor(api, link) {
    super();
    this.api = api;
    this.link = link;
    this.me = null;
    this.users = new Map();
    this.userLookups = new Map();
    this.friends = new Map();
    this.groups = new Map();
    this.convs = new Map();
    this.incoming = [];
    this.outgoing = [];
    this.openConv = null;
    this.bind();
  }

  changed(what, conv = null) {
    this.dispatchEvent(new CustomEvent("change", { detail: { what, conv } }));
  }

  // -- loading ----------------------------------------------------------------------

  async load() {
    const [me, conversations] = await Promise.all([
      this.api.get("/api/me"),
      this.api.get("/api/conversations"),
      this.loadFriends(),
      this.loadGroups(),
      this.loadRequests(),
    ]);
    this.me = me;
    this.users.set(me.id, me);
    this.applyConversations(conversations.conversations);
    for (const frame of this.link.outbox) this.addPending(frame);
    return conversations.conversations;
  }

  async loadFriends() {
    const { friends } = await this.api.get("/api/friends");
    this.friends = new Map(friends.map((f) => [f.user.id, f]));
    for (const f of friends) this.users.set(f.user.id, f.user);
    this.changed("friends");
  }

  async loadGroups() {
    const { groups } = await this.api.get("/api/groups");
    const known = this.groups;
    this.groups = new Map(groups.map((g) => [g.id, { ...known.get(g.id), ...g }]));
    for (const g of groups) this.conv(g.conv);
    this.changed("groups");
  }

  async loadGroup(gid) {
    const group = await this.api.get(`/api/groups/${encodeURIComponent(gid)}`);
    this.groups.set(gid, group);
    for (const m of group.members) this.ensureUser(m.user);
    this.changed("groups", `g:${gid}`);
    return group;
  }

  async loadRequests() {
    const [incoming, outgoing] = await Promise.all([
      this.api.get("/api/friend-requests?direction=in"),
      this.api.get("/api/friend-requests?direction=out"),
    ]);
    this.incoming = incoming.requests.filter((r) => r.status === "pending");
    this.outgoing = outgoing.requests.filter((r) => r.status === "pending");
    for (const r of [...this.incoming, ...this.outgoing]) {
      this.ensureUser(r.from);
      this.ensureUser(r.to);
    }
    this.changed("requests");
  }

  async refreshConversations() {
    const { conversations } = await this.api.get("/api/conversations");
    this.applyConversations(conversations);
  }

  applyConversations(list) {
    for (const state of list) {
      const conv = this.conv(state.conv);
      conv.baseSeq = state.last_seq;
      conv.baseUnread = state.unread;
      conv.readSeq = Math.max(conv.readSeq, state.read_seq);
      conv.lastSeq = Math.max(conv.lastSeq, state.last_seq);
      if (state.last_message && (!conv.last || state.last_message.seq >= conv.last.seq)) {
        conv.last = state.last_message;
      }
    }
    this.changed("conversations");
  }

  conv(id) {
    let conv = this.convs.get(id);
    if (!conv) {
      conv = new Conversation(id, this.me?.id);
      this.convs.set(id, conv);
      if (conv.peer) this.ensureUser(conv.peer);
      if (conv.isGroup && this.me && !this.groups.has(conv.gid)) this.loadGroups().catch(() => {});
    }
    return conv;
  }

  /** Fetch a profile we have not seen (a group member, a request's sender). */
  ensureUser(id) {
    if (!id || this.users.has(id) || this.userLookups.has(id)) return;
    const lookup = this.api
      .get(`/api/users/${encodeURIComponent(id)}`)
      .then((user) => {
        this.users.set(id, user);
        this.changed("users");
      })
      .catch(() => this.userLookups.delete(id));
    this.userLookups.set(id, lookup);
  }

  // -- names ---------------------------------------------------------------------------

  name(id) {
    if (this.me && id === this.me.id) return this.me.nickname || this.me.handle || "You";
    const friend = this.friends.get(id);
    const user = this.users.get(id);
    return (
      friend?.remark ||
      user?.nickname ||
      (user?.handle ? `@${user.handle}` : null) ||
      `User ${String(id).slice(-6)}`
    );
  }

  title(convId) {
    const conv = this.conv(convId);
    if (conv.isGroup) return this.groups.get(conv.gid)?.name || "Group";
    return this.name(conv.peer);
  }

  sorted() {
    return [...this.convs.values()]
      .filter((c) => c.last || c.pending.size || c.isGroup || c.messages.size)
      .sort((a, b) => b.activity() - a.activity() || a.id.localeCompare(b.id));
  }

  unread(conv) {
    const floor = Math.max(conv.readSeq, conv.baseSeq);
    let count = conv.readSeq >= conv.baseSeq ? 0 : conv.baseUnread;
    for (const m of conv.messages.values()) {
      if (m.seq > floor && m.from !== this.me.id && !m.recalled) count += 1;
    }
    return count;
  }

  totalUnread() {
    let total = 0;
    for (const conv of this.convs.values()) total += this.unread(conv);
    return total;
  }

  // -- from the link --------------------------------------------------------------------

  bind() {
    const on = (name, fn) => this.link.addEventListener(name, (e) => fn.call(this, e.detail));
    on("message", this.onMessage);
    on("ack", this.onAck);
    on("send-error", this.onSendError);
    on("receipt", this.onReceipt);
    on("typing", this.onTyping);
    on("recalled", this.onRecalled);
    on("synced", this.onSynced);
  }

  store(message) {
    const conv = this.conv(message.conv);
    const known = conv.messages.get(message.seq);
    const kept = { ...known, ...message, state: "sent" };
    delete kept.op;
    conv.messages.set(message.seq, kept);
    if (message.from === this.me.id) conv.pending.delete(message.cid);
    conv.lastSeq = Math.max(conv.lastSeq, message.seq);
    if (!conv.last || message.seq >= conv.last.seq) conv.last = kept;
    return { conv, fresh: !known };
  }

  onMessage(message) {
    const { conv, fresh } = this.store(message);
    if (fresh && message.from !== this.me.id) conv.typing.delete(message.from);
    this.changed("message", conv.id);
  }

  onAck(ack) {
    const conv = this.conv(ack.conv);
    const waiting = conv.pending.get(ack.cid);
    if (waiting) {
      this.store({ ...waiting, seq: ack.seq, id: ack.id, ts: ack.ts, recalled: false });
    }
    conv.lastSeq = Math.max(conv.lastSeq, ack.seq);
    this.changed("message", conv.id);
  }

  onSendError(error) {
    for (const conv of this.convs.values()) {
      const waiting = conv.pending.get(error.cid);
      if (waiting) {
        waiting.state = "failed";
        waiting.error = error.message;
        this.changed("message", conv.id);
      }
    }
  }

  onReceipt(receipt) {
    const conv = this.conv(receipt.conv);
    if (receipt.kind === "read" && receipt.user === this.me.id) {
      conv.readSeq = Math.max(conv.readSeq, receipt.seq);
      if (receipt.seq < conv.baseSeq) this.refreshConversations().catch(() => {});
    } else if (receipt.kind === "read" && conv.isGroup) {
      conv.readBy.set(receipt.user, Math.max(conv.readBy.get(receipt.user) || 0, receipt.seq));
    } else if (receipt.kind === "read") {
      conv.peerRead = Math.max(conv.peerRead, receipt.seq);
      conv.peerDelivered = Math.max(conv.peerDelivered, receipt.seq);
    } else if (receipt.kind === "delivered") {
      conv.peerDelivered = Math.max(conv.peerDelivered, receipt.seq);
    }
    this.changed("receipt", conv.id);
  }

  onTyping(frame) {
    const conv = this.conv(frame.conv);
    conv.typing.set(frame.user, Date.now() + TYPING_SHOWN_MS);
    this.changed("typing", conv.id);
    setTimeout(() => {
      if ((conv.typing.get(frame.user) || 0) <= Date.now()) {
        conv.typing.delete(frame.user);
        this.changed("typing", conv.id);
      }
    }, TYPING_SHOWN_MS + 50);
  }

  onRecalled(frame) {
    const conv = this.conv(frame.conv);
    const message = conv.messages.get(frame.seq);
    if (message) {
      message.recalled = true;
      message.body = {};
    }
    if (conv.last?.seq === frame.seq) conv.last = { ...conv.last, recalled: true, body: {} };
    this.changed("message", conv.id);
  }

  onSynced(frame) {
    let unknownGroup = false;
    for (const id of Object.keys(frame.cursors)) {
      const fresh = !this.convs.has(id);
      this.conv(id);
      if (fresh && id.startsWith("g:")) unknownGroup = true;
    }
    if (unknownGroup) this.loadGroups().catch(() => {});
    this.changed("synced");
  }

  // -- actions ----------------------------------------------------------------------------

  addPending(frame) {
    const conv = this.conv(frame.conv);
    conv.pending.set(frame.cid, {
      conv: frame.conv,
      cid: frame.cid,
      from: this.me.id,
      kind: frame.kind,
      body: frame.body,
      ts: Date.now(),
      state: "pending",
    });
    return conv;
  }

  send(convId, kind, body) {
    const frame = this.link.send(convId, kind, body);
    this.addPending(frame);
    this.changed("message", convId);
  }

  discard(convId, cid) {
    this.link.discard(cid);
    this.conv(convId).pending.delete(cid);
    this.changed("message", convId);
  }

  recall(convId, seq) {
    this.link.tell({ op: "recall", conv: convId, seq });
    this.link.tell({ op: "ping" });
  }

  typing(convId) {
    const conv = this.conv(convId);
    const now = Date.now();
    if (now - conv.typingSentAt < TYPING_SENT_EVERY_MS) return;
    if (this.link.tell({ op: "typing", conv: convId })) conv.typingSentAt = now;
  }

  /** Tell the others (and my other devices) I have read everything shown. */
  markRead(convId) {
    const conv = this.conv(convId);
    const upto = conv.lastSeq;
    if (upto > conv.readSeq && this.link.tell({ op: "read", conv: convId, seq: upto })) {
      conv.readSeq = upto;
      this.changed("read", convId);
    }
  }

  /** The next page of older messages; false once the start is reached. */
  async loadEarlier(convId, limit = 50) {
    const conv = this.conv(convId);
    if (conv.reachedStart) return false;
    conv.loaded = true;
    const messages = await this.link.history(convId, conv.lowestSeq(), limit);
    for (const m of messages) this.store(m);
    if (messages.length < limit) conv.reachedStart = true;
    this.changed("history", convId);
    return !conv.reachedStart;
  }

  /** After a reload, learn from the server how far the others have read my messages. */
  async learnReceipts(convId) {
    const conv = this.conv(convId);
    const mine = conv
      .ordered()
      .filter((m) => m.seq && m.from === this.me.id)
      .map((m) => m.seq);
    if (!mine.length) return;
    const readers = async (seq) => {
      const path = `/api/conversations/${encodeURIComponent(convId)}/messages/${seq}/readers`;
      return (await this.api.get(path)).readers.filter((u) => u !== this.me.id);
    };
    if (conv.isGroup) {
      const newest = mine[mine.length - 1];
      for (const user of await readers(newest)) {
        conv.readBy.set(user, Math.max(conv.readBy.get(user) || 0, newest));
      }
    } else {
      // Read seqs only grow, so the peer's position is found by halving.
      let low = 0;
      let high = mine.length - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if ((await readers(mine[middle])).length) low = middle + 1;
        else high = middle - 1;
      }
      if (high >= 0) {
        conv.peerRead = Math.max(conv.peerRead, mine[high]);
        conv.peerDelivered = Math.max(conv.peerDelivered, mine[high]);
      }
    }
    this.changed("receipt", convId);
  }
}
