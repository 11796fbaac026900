/**
 * Entry of the CLI's V8 startup snapshot. `npm run snapshot` bundles this module and everything it
 * imports into one CommonJS script and runs it with `node --build-snapshot`: the CLI's code is then
 * compiled and its modules initialised once, at build time, and every `strata` command (bin/strata)
 * starts from that heap instead of reading, compiling and linking the modules again. Native modules are
 * loaded at run time (src/native/).
 */
import { startupSnapshot } from 'node:v8';
import { main } from './main.js';

// Started as `node --snapshot-blob BLOB ARGS…`: argv is [node, ARGS…].
startupSnapshot.setDeserializeMainFunction(() => main(process.argv.slice(1)));
