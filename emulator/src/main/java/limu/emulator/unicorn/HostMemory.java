// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import com.sun.jna.Pointer;

/**
 * A block of host memory (anonymous mmap, zero-filled, backed lazily) that
 * serves as guest RAM: mapped into every vCPU's engine, so all CPUs see each
 * other's writes at once, and read or written by the host at any time.
 */
public final class HostMemory implements AutoCloseable {
    private final long address;
    private final long size;
    private final Pointer base;
    private boolean freed;

    public HostMemory(UnicornLibrary library, long size) {
        if (size <= 0 || (size & 0xfff) != 0) {
            throw new IllegalArgumentException("guest RAM size must be a positive multiple of 4 KiB: " + size);
        }
        this.address = Shim.ramAlloc(size);
        this.size = size;
        this.base = new Pointer(address);
    }

    /** The host address, for {@link Engine#mapRam}. */
    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    public void write(long offset, byte[] src, int off, int len) {
        check(offset, len);
        base.write(offset, src, off, len);
    }

    public void read(long offset, byte[] dst, int off, int len) {
        check(offset, len);
        base.read(offset, dst, off, len);
    }

    /**
     * Where the {@code len} bytes at {@code offset} first differ from {@code expected[off..]}: the index from
     * {@code off}, or -1 when they are equal. Compares in place, copying nothing.
     */
    public int mismatch(long offset, byte[] expected, int off, int len) {
        check(offset, len);
        return java.nio.ByteBuffer.wrap(expected, off, len).mismatch(base.getByteBuffer(offset, len));
    }

    public long readLong(long offset) {
        check(offset, 8);
        return base.getLong(offset);
    }

    public void writeLong(long offset, long value) {
        check(offset, 8);
        base.setLong(offset, value);
    }

    /**
     * Makes this block's bytes equal to {@code source}'s (same size), copying only the
     * {@code chunk}-byte pieces that differ when {@code compare} (both are read, only
     * changed pieces written), else all of it. Returns the bytes written. For snapshots.
     */
    public long copyFrom(HostMemory source, boolean compare, int chunk) {
        if (source.size != size || freed || source.freed) {
            throw new IllegalArgumentException("host memory blocks differ in size or are freed");
        }
        long written = 0;
        for (long off = 0; off < size; ) {
            int n = (int) Math.min(size - off, compare ? chunk : 1 << 30);
            java.nio.ByteBuffer dst = base.getByteBuffer(off, n);
            java.nio.ByteBuffer src = source.base.getByteBuffer(off, n);
            if (!compare || dst.mismatch(src) >= 0) {
                dst.put(src);
                written += n;
            }
            off += n;
        }
        return written;
    }

    /**
     * Which 4 KiB pages of {@code [offset, offset + length)} are resident in host memory (bit 0 of each byte, one
     * byte a page; offset page-aligned); a page the guest never touched is not. False when the host cannot say.
     */
    public boolean residentPages(long offset, long length, byte[] out) {
        check(offset, length);
        return Shim.residentPages(address + offset, length, out);
    }

    private void check(long offset, long len) {
        if (freed || offset < 0 || len < 0 || offset + len > size) {
            throw new IndexOutOfBoundsException(String.format("host memory access 0x%x+0x%x outside 0x%x bytes",
                    offset, len, size));
        }
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            Shim.ramFree(address, size);
        }
    }
}
