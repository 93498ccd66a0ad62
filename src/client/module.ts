// Entry of /sockizy.mjs: the ES module for bundlers and `<script type="module">`,
// with the application's tables already declared.
import { io } from "./index.js";
import { declareServed } from "./served.js";

declareServed(io, "__SOCKIZY_APP__");

export { Client, DEFAULTS, io } from "./index.js";
export default io;
