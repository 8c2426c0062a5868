package limu.bootloader;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** What a request needs to build its response: the placed boot, guest RAM and the allocator. */
final class BootContext {
    private static final int RESPONSE_ALIGN = 16;

    private final String fileName;
    private final BootConfig config;
    private final PhysicalMemory ram;
    private final PhysicalAllocator allocator;
    private final KernelImage image;
    private final int baseRevision;
    private final int pagingLevels;
    private final long hhdmOffset;

    BootContext(String fileName, BootConfig config, PhysicalMemory ram, PhysicalAllocator allocator,
                KernelImage image, int baseRevision, int pagingLevels, long hhdmOffset) {
        this.fileName = fileName;
        this.config = config;
        this.ram = ram;
        this.allocator = allocator;
        this.image = image;
        this.baseRevision = baseRevision;
        this.pagingLevels = pagingLevels;
        this.hhdmOffset = hhdmOffset;
    }

    String fileName() {
        return fileName;
    }

    BootConfig config() {
        return config;
    }

    int baseRevision() {
        return baseRevision;
    }

    /** 4 or 5. */
    int pagingLevels() {
        return pagingLevels;
    }

    long hhdmOffset() {
        return hhdmOffset;
    }

    /** The HHDM address of physical {@code paddr}: how every pointer handed to the kernel is expressed. */
    long hhdm(long paddr) {
        return paddr + hhdmOffset;
    }

    long kernelPhysicalBase() {
        return image.physical(image.virtualBase());
    }

    long kernelVirtualBase() {
        return image.virtualBase();
    }

    PhysicalAllocator allocator() {
        return allocator;
    }

    /** Zeroed bootloader-reclaimable memory for a response (16-byte aligned); its revision field reads 0. */
    long allocateResponse(long size, String what) throws BootException {
        return allocate(size, RESPONSE_ALIGN, what);
    }

    /** Zeroed bootloader-reclaimable memory. */
    long allocate(long size, int align, String what) throws BootException {
        long paddr = allocator.allocateBytes(size, align, what);
        write(paddr, new byte[(int) size]);
        return paddr;
    }

    /** A NUL-terminated UTF-8 copy of {@code text} in bootloader-reclaimable memory; returns its physical address. */
    long string(String text, String what) throws BootException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        long paddr = allocator.allocateBytes(utf8.length + 1L, 1, what);
        byte[] withNul = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, withNul, 0, utf8.length);
        write(paddr, withNul);
        return paddr;
    }

    void writeU64(long paddr, long value) {
        write(paddr, LittleEndian.u64Bytes(value));
    }

    void write(long paddr, byte[] bytes) {
        ram.write(paddr, bytes, 0, bytes.length);
    }

    /** The memory map as it stands (see {@link PhysicalAllocator#memoryMap()}). */
    List<MemoryMapEntry> memoryMap() {
        return allocator.memoryMap();
    }
}
