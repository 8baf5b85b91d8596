// Chat.tsx - (being written)
export function ChatScreen(_: { route: string[] }) {
  return <h1>Chat</h1>;
}
