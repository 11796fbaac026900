/** Layer tarballs: apply (safely), reproduce exactly (tar-split), write from trees and changes, and diff (the differ). */
export { applyLayer } from './apply.js';
export { layerTar, removeTarSplit } from './tarsplit.js';
export { decompressed } from './compression.js';
export { overlayChanges, treeChanges } from './changes.js';
export { diffChanges, diffSize, diffTar } from './differ.js';
export { filesSize, treeSize } from './usage.js';
export { overlayUpperTar, changesTar, directoryTar, pathTar } from './write.js';
export { tarOnThread } from './thread.js';
export { removeTree } from './remove.js';
export { major, minor } from './fsmeta.js';
export type { Change, ChangeKind, WhiteoutMode, ApplyOptions, ApplyResult, TarJob } from './types.js';
