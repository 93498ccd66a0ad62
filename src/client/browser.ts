// Entry of /sockizy.js: one script that defines the global `io`, with the
// application's tables already declared.
import { io } from "./index.js";
import { declareServed } from "./served.js";

declareServed(io, "__SOCKIZY_APP__");
(globalThis as { io?: unknown }).io = io;
