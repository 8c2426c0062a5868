// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Access widths: IN/OUT move 1, 2 or 4 bytes; MMIO loads and stores 1, 2, 4 or 8. */
public final class AccessSize {
    private AccessSize() {
    }

    /** The bits an access of {@code size} bytes carries; all ones is what a floating bus reads as. */
    public static int mask(int size) {
        return switch (size) {
            case 1 -> 0xFF;
            case 2 -> 0xFFFF;
            case 4 -> 0xFFFF_FFFF;
            default -> throw new IllegalArgumentException("bad port access size " + size + " (want 1, 2 or 4)");
        };
    }

    /** As {@link #mask} for a memory access, which may also be 8 bytes. */
    public static long mmioMask(int size) {
        return switch (size) {
            case 1 -> 0xFFL;
            case 2 -> 0xFFFFL;
            case 4 -> 0xFFFF_FFFFL;
            case 8 -> -1L;
            default -> throw new IllegalArgumentException("bad MMIO access size " + size + " (want 1, 2, 4 or 8)");
        };
    }

    /** The {@code size} bytes at byte {@code byteOffset} of a 64-bit register value. */
    public static long extract(long register, int byteOffset, int size) {
        return (register >>> (8 * byteOffset)) & mmioMask(size);
    }

    /** {@code register} with the {@code size} bytes at {@code byteOffset} replaced by those of {@code value}. */
    public static long deposit(long register, int byteOffset, int size, long value) {
        long mask = mmioMask(size) << (8 * byteOffset);
        return (register & ~mask) | ((value << (8 * byteOffset)) & mask);
    }

    /**
     * A port access of {@code size} bytes at {@code port} assembled from byte reads of
     * consecutive ports: how an ISA bus splits a wide access to an 8-bit device.
     */
    public static int readBytes(int port, int size, java.util.function.IntUnaryOperator readByte) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            value |= (readByte.applyAsInt(port + i) & 0xFF) << (8 * i);
        }
        return value & mask(size);
    }

    /** A port write of {@code size} bytes split into byte writes to consecutive ports, lowest first. */
    public static void writeBytes(int port, int size, int value, ByteWriter writeByte) {
        mask(size);
        for (int i = 0; i < size; i++) {
            writeByte.write(port + i, (value >>> (8 * i)) & 0xFF);
        }
    }

    @FunctionalInterface
    interface ByteWriter {
        void write(int port, int value);
    }
}
