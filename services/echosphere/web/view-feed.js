// Moments: my friends' posts and mine, newest first, with photos, likes and
// comments (a comment may answer another).

import { avatar, h, replace, toast, when } from "./dom.js";
import { icon } from "./icons.js";
import { mediaElement, uploadMedia } from "./media.js";

const MAX_PHOTOS = 9;

export class FeedView {
  constructor(context) {
    this.context = context;
    this.posts = [];
    this.next = null;
    this.photos = [];
    this.list = h("ul", { class: "post-list", "aria-label": "Posts" });
    this.more = h(
      "button",
      { type: "button", class: "ghost", hidden: true, onclick: () => this.load(true) },
      "Show older posts",
    );
    this.text = h("textarea", {
      id: "post-text",
      rows: "3",
      maxlength: "2000",
      placeholder: "Share something with your friends",
    });
    this.file = h("input", {
      type: "file",
      accept: "image/*",
      multiple: true,
      id: "post-photos",
      class: "visually-hidden",
      onchange: () => this.pick(),
    });
    this.picked = h("span", { class: "muted small", "aria-live": "polite" });
    this.postButton = h("button", { type: "submit" }, "Post");
    this.el = h(
      "div",
      { class: "page feed" },
      h(
        "header",
        { class: "pane-head" },
        h("h1", {}, "Moments"),
        h(
          "button",
          { type: "button", class: "small ghost", onclick: () => this.load() },
          "Refresh",
        ),
      ),
      h(
        "form",
        { class: "card stack", "aria-label": "Share a moment", onsubmit: (e) => this.publish(e) },
        h("label", { for: "post-text" }, "New post"),
        this.text,
        h(
          "div",
          { class: "post-actions" },
          h(
            "button",
            { type: "button", class: "small ghost", onclick: () => this.file.click() },
            icon("camera", 18),
            "Add photos",
          ),
          this.file,
          this.picked,
          h("span", { class: "spacer" }),
          this.postButton,
        ),
      ),
      this.list,
      this.more,
    );
  }

  show() {
    this.load();
  }

  async load(older = false) {
    const { api } = this.context;
    const query = older && this.next ? `?cursor=${encodeURIComponent(this.next)}` : "";
    try {
      const page = await api.get(`/api/feed${query}`);
      this.posts = older ? this.posts.concat(page.posts) : page.posts;
      this.next = page.next_cursor;
      this.render();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  pick() {
    this.photos = [...this.file.files].slice(0, MAX_PHOTOS);
    this.picked.textContent = this.photos.length
      ? `${this.photos.length} photo${this.photos.length > 1 ? "s" : ""} chosen`
      : "";
  }

  async publish(event) {
    event.preventDefault();
    const { api } = this.context;
    const text = this.text.value.trim();
    if (!text && !this.photos.length) return;
    this.postButton.disabled = true;
    try {
      const media = [];
      for (const photo of this.photos) media.push(await uploadMedia(api, photo, { kind: "image" }));
      const post = await api.post("/api/posts", { text, media });
      this.posts.unshift(post);
      this.text.value = "";
      this.file.value = "";
      this.pick();
      this.render();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      this.postButton.disabled = false;
    }
  }

  render() {
    this.more.hidden = !this.next;
    replace(
      this.list,
      this.posts.length
        ? this.posts.map((post) => this.post(post))
        : h(
            "li",
            { class: "card empty" },
            "Nothing here yet. Post something, or add friends to see theirs.",
          ),
    );
  }

  post(post) {
    const { state } = this.context;
    const author = post.author || { id: "?", nickname: "Someone" };
    const name = state.name(author.id) || author.nickname;
    const comments = h("ul", { class: "comments", "aria-label": `Comments on ${name}'s post` });
    const likeLabel = h("span", {}, this.likeText(post));
    const likeButton = h(
      "button",
      {
        type: "button",
        class: `small ghost${post.liked ? " liked" : ""}`,
        "aria-pressed": String(post.liked),
        onclick: () => this.toggleLike(post, likeButton, likeLabel),
      },
      icon("heart", 18),
      likeLabel,
    );
    const input = h("input", {
      "aria-label": `Comment on ${name}'s post`,
      maxlength: "500",
      placeholder: "Write a comment",
    });
    const form = h(
      "form",
      { class: "inline", onsubmit: (e) => this.comment(e, post, input, comments) },
      input,
      h("button", { type: "submit", class: "small" }, "Comment"),
    );
    const item = h(
      "li",
      { class: "card post", "data-post": post.id },
      h(
        "div",
        { class: "post-head" },
        avatar(name, author.id),
        h(
          "div",
          { class: "who" },
          h("strong", {}, name),
          h("div", { class: "muted small" }, when(post.created_at * 1000)),
        ),
        author.id === state.me.id
          ? h(
              "button",
              { type: "button", class: "link small", onclick: () => this.remove(post) },
              "Delete",
            )
          : null,
      ),
      post.text ? h("p", { class: "post-text" }, post.text) : null,
      post.media.length
        ? h(
            "div",
            { class: "post-media" },
            post.media.map((m) =>
              mediaElement(
                this.context.api,
                { kind: m.kind, body: { key: m.key } },
                `Photo by ${name}`,
              ),
            ),
          )
        : null,
      h("div", { class: "post-actions" }, likeButton),
      comments,
      form,
    );
    this.loadComments(post, comments, input);
    return item;
  }

  likeText(post) {
    return post.likes === 1 ? "1 like" : `${post.likes} likes`;
  }

  async toggleLike(post, button, label) {
    try {
      const answer = post.liked
        ? await this.context.api.del(`/api/posts/${post.id}/like`)
        : await this.context.api.put(`/api/posts/${post.id}/like`);
      post.liked = answer.liked;
      post.likes = answer.likes;
      button.setAttribute("aria-pressed", String(post.liked));
      button.classList.toggle("liked", post.liked);
      label.textContent = this.likeText(post);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async loadComments(post, list, input) {
    try {
      const { comments } = await this.context.api.get(`/api/posts/${post.id}/comments`);
      this.renderComments(post, comments, list, input);
    } catch {
      // the post may be gone; the next refresh shows it
    }
  }

  renderComments(post, comments, list, input) {
    const { state } = this.context;
    for (const c of comments) state.ensureUser(c.author);
    replace(
      list,
      comments.map((c) =>
        h(
          "li",
          { "data-comment": c.id },
          h("strong", {}, state.name(c.author)),
          c.reply_to_user
            ? h("span", { class: "muted" }, ` → ${state.name(c.reply_to_user)}`)
            : null,
          `: ${c.text} `,
          h(
            "button",
            {
              type: "button",
              class: "link small",
              onclick: () => {
                input.dataset.replyTo = c.id;
                input.placeholder = `Reply to ${state.name(c.author)}`;
                input.focus();
              },
            },
            "Reply",
          ),
          c.author === state.me.id || post.author?.id === state.me.id
            ? h(
                "button",
                {
                  type: "button",
                  class: "link small",
                  onclick: () => this.uncomment(post, c, list, input),
                },
                "Delete",
              )
            : null,
        ),
      ),
    );
  }

  async comment(event, post, input, list) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const body = { text };
    if (input.dataset.replyTo) body.reply_to = input.dataset.replyTo;
    try {
      await this.context.api.post(`/api/posts/${post.id}/comments`, body);
      input.value = "";
      delete input.dataset.replyTo;
      input.placeholder = "Write a comment";
      await this.loadComments(post, list, input);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async uncomment(post, comment, list, input) {
    try {
      await this.context.api.del(`/api/posts/${post.id}/comments/${comment.id}`);
      await this.loadComments(post, list, input);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async remove(post) {
    if (!confirm("Delete this post?")) return;
    try {
      await this.context.api.del(`/api/posts/${post.id}`);
      this.posts = this.posts.filter((p) => p.id !== post.id);
      this.render();
    } catch (error) {
      toast(error.message, "error");
    }
  }
}
