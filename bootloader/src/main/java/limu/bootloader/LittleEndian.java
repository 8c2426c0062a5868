// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** Little-endian field access on byte arrays; callers check bounds first. */
final class LittleEndian {
    private LittleEndian() {
    }

    static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
    }

    static long u32(byte[] b, int off) {
        return (u16(b, off) | (long) u16(b, off + 2) << 16) & 0xFFFF_FFFFL;
    }

    static long u64(byte[] b, int off) {
        return u32(b, off) | u32(b, off + 4) << 32;
    }

    static void putU64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    static byte[] u64Bytes(long v) {
        byte[] b = new byte[8];
        putU64(b, 0, v);
        return b;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
