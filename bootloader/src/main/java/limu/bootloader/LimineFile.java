// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Writes a {@code struct limine_file} (112 bytes): revision 0, address, size, path, string, media type 0
 * (generic), no TFTP server, partition index 0 (unpartitioned), no MBR disk ID, zero GPT and filesystem UUIDs.
 */
final class LimineFile {
    static final int SIZE = 112;
    static final int ADDRESS = 8;
    static final int FILE_SIZE = 16;
    static final int PATH = 24;
    static final int STRING = 32;
    static final int MEDIA_TYPE = 40;
    static final int PARTITION_INDEX = 56;

    private LimineFile() {
    }

    /**
     * Places the structure for a file at physical {@code address} of {@code size} bytes; {@code string} is the
     * physical address of its NUL-terminated string. Returns the structure's physical address.
     */
    static long write(BootContext context, long address, long size, String path, long string, String what)
            throws BootException {
        long file = context.allocate(SIZE, 8, what);
        context.writeU64(file + ADDRESS, context.hhdm(address));
        context.writeU64(file + FILE_SIZE, size);
        context.writeU64(file + PATH, context.hhdm(context.string(path, what + " path")));
        context.writeU64(file + STRING, context.hhdm(string));
        return file;
    }
}
