// Decoders for compressed Arrow IPC (Polars' write_ipc(compression="zstd" | "lz4"), pyarrow's too).
// apache-arrow reads compressed buffers but ships no codecs; ./apache_arrow.ts registers these once.
// apache-arrow strips each buffer's 8-byte length prefix and hands a codec one ZSTD frame or one LZ4
// *frame* (the IPC format never uses raw LZ4 blocks).
import type { Codec } from "apache-arrow";
import { decompress as zstdDecompress } from "fzstd";
import { createRequire } from "node:module";

// lz4js is CommonJS without types. Only its block decoder is used: its frame reader (0.2.0) skips a
// block's checksum *before* the block instead of after it, and Polars writes frames with block checksums.
const lz4 = createRequire(import.meta.url)("lz4js") as {
  decompressBlock(src: Uint8Array, dst: Uint8Array, srcIndex: number, srcLength: number, dstIndex: number): number;
};

export const zstdCodec: Codec = { decode: (bytes) => zstdDecompress(bytes) };

export const lz4FrameCodec: Codec = { decode: decodeLz4Frame };

const LZ4_MAGIC = 0x184d2204;
const BLOCK_MAX_SIZE: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 };

/** One LZ4 frame (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md); checksums are skipped, not verified. */
function decodeLz4Frame(src: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.byteLength < 7 || view.getUint32(0, true) !== LZ4_MAGIC) throw new Error("LZ4 frame: bad magic number");
  const flags = src[4];
  if ((flags & 0xc0) !== 0x40) throw new Error(`LZ4 frame: unsupported version ${flags >> 6}`);
  const blockChecksum = (flags & 0x10) !== 0;
  const hasContentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const blockMax = BLOCK_MAX_SIZE[(src[5] >> 4) & 7];
  if (blockMax === undefined) throw new Error("LZ4 frame: bad block size");
  let pos = 6;
  const contentSize = hasContentSize ? Number(view.getBigUint64(pos, true)) : undefined;
  if (hasContentSize) pos += 8;
  pos += 1; // header checksum
  const blocksStart = pos;

  // The output size: the frame's content size if written, else what its blocks can hold at most.
  let bound = 0;
  for (let p = blocksStart; ; ) {
    const word = view.getUint32(p, true);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    bound += word & 0x80000000 ? size : blockMax;
    p += size + (blockChecksum ? 4 : 0);
    if (p > src.byteLength) throw new Error("LZ4 frame: truncated");
  }
  const out = new Uint8Array(contentSize ?? bound);
  let written = 0;
  for (pos = blocksStart; ; ) {
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (word & 0x80000000) {
      out.set(src.subarray(pos, pos + size), written);
      written += size;
    } else {
      written = lz4.decompressBlock(src, out, pos, size, written);
    }
    pos += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) pos += 4;
  if (contentSize !== undefined && written !== contentSize) throw new Error(`LZ4 frame: ${written} bytes decoded, header says ${contentSize}`);
  // A bound well above the real size would keep the slack alive as long as the column: copy then.
  return written === out.length ? out : written * 2 >= out.length ? out.subarray(0, written) : out.slice(0, written);
}
