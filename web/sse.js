// The server's event stream, read with fetch() so that the token goes in the Authorization
// header (EventSource cannot send one). After a drop it reconnects with Last-Event-ID and
// the server sends what was missed; a "reset" event says it could not, and the pages then
// read the state again.
import { headers } from "./api.js";

export class EventStream {
  constructor(path, onEvent, onStatus) {
    this.path = path;
    this.onEvent = onEvent;      // ({event, data, id}) for each message with data
    this.onStatus = onStatus;    // (true | false) connected or not
    this.lastId = null;
    this.stopped = false;
    this.delay = 500;
    this.ctrl = null;
  }

  start() {
    this.loop();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.ctrl) this.ctrl.abort();
  }

  async loop() {
    while (!this.stopped) {
      try {
        await this.once();
        this.delay = 500;
      } catch (e) {
        if (this.stopped) return;
      }
      this.onStatus(false);
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, this.delay));
      this.delay = Math.min(this.delay * 2, 10000);
    }
  }

  async once() {
    this.ctrl = new AbortController();
    const h = headers({ Accept: "text/event-stream" });
    if (this.lastId) h["Last-Event-ID"] = this.lastId;
    const r = await fetch(this.path, { headers: h, signal: this.ctrl.signal, cache: "no-store" });
    if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
    this.onStatus(true);
    this.delay = 500;
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser((m) => {
      if (m.id !== null) this.lastId = m.id;
      if (m.data !== null) this.onEvent(m);
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  }
}

// The text/event-stream format (WHATWG HTML, "Parsing an event stream"): lines of
// "field: value"; a blank line ends a message; ':' starts a comment.
export class SseParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buf = "";
    this.skipLF = false;
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = null;
    this.id = null;
  }

  // A chunk may end between the CR and the LF of one line end: skipLF remembers it.
  push(text) {
    this.buf += text;
    let nl;
    for (;;) {
      if (this.skipLF && this.buf.length) {
        if (this.buf[0] === "\n") this.buf = this.buf.slice(1);
        this.skipLF = false;
      }
      if ((nl = this.buf.search(/[\r\n]/)) < 0) return;
      const line = this.buf.slice(0, nl);
      const crlf = this.buf[nl] === "\r" && this.buf[nl + 1] === "\n";
      this.skipLF = this.buf[nl] === "\r" && nl + 1 === this.buf.length;
      this.buf = this.buf.slice(nl + (crlf ? 2 : 1));
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      if (this.data !== null || this.id !== null)
        this.onMessage({ event: this.event || "message", data: this.data, id: this.id });
      this.reset();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data = this.data === null ? value : `${this.data}\n${value}`;
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}
