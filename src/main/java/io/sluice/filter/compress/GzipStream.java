package io.sluice.filter.compress;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** One response's gzip stream (RFC 1952): a header, raw deflate with a sync flush per part, CRC-32 and size. */
final class GzipStream implements CompressingStream {
    /** zlib's level 5: most of level 9's ratio on text at a fraction of its CPU (nginx's default is 1). */
    static final int LEVEL = 5;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
    private final Deflater deflater = new Deflater(LEVEL, true);
    private final CRC32 crc = new CRC32();
    private final byte[] buffer = new byte[8192];
    private long size;
    private boolean started;

    @Override
    public byte[] compress(ByteBuffer in, boolean last) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.remaining() / 2));
        if (!started) {
            started = true;
            out.write(HEADER, 0, HEADER.length);
        }
        size += in.remaining();
        crc.update(in.duplicate());
        deflater.setInput(in);
        if (last) {
            deflater.finish();
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            close();
            int c = (int) crc.getValue();
            int n = (int) size;
            out.write(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
                    (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)}, 0, 8);
        } else {
            int n;
            do {
                n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                out.write(buffer, 0, n);
            } while (n == buffer.length || !deflater.needsInput());
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        deflater.end(); // zlib's memory now, not at the next collection; a second end() does nothing
    }
}
