// The room's packets, in the server's words: what it receives (unpack) and
// what it sends (pack). A client declares the mirror: io.packets(unpack, pack)
// (the served /sockizy.js does it by itself).
export const packets = {
  unpack: {
    "chat.signIn": ["name:str24", "invite:str64"],
    "chat.say": ["text:str256"],
    "chat.signOut": null,
  },
  pack: {
    "chat.welcome": ["name:str24", "online:uint32", "motd:str256"],
    "chat.refused": ["reason:str64"],
    "chat.line": ["from:str24", "text:str256"],
    "chat.joined": ["name:str24", "online:uint32"],
    "chat.left": ["name:str24"],
  },
} as const;
