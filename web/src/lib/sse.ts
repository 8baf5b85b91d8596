// sse.ts - reading Server-Sent Events out of a text buffer: complete events (blocks
// ended by a blank line) and the incomplete rest to keep for the next read.

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n\n', start);
    if (end < 0) break;
    const block = text.slice(start, end);
    start = end + 2;
    const e: SseEvent = { id: '', event: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') e.id = value;
      else if (field === 'event') e.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && !e.id) continue;
    e.data = data.join('\n');
    events.push(e);
  }
  return { events, rest: text.slice(start) };
}
