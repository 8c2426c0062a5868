// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request needs to build its response: the machine, the boot volume, the placed boot, guest RAM, the
 * allocator and the firmware tables; and where requests leave what the boot plan reports beyond their responses
 * (parked APs, loaded files, x2APIC).
 */
final class BootContext {
    private static final int RESPONSE_ALIGN = 16;

    /** An AP the MP request parked: its {@code limine_mp_info} and the top of its stack, both physical. */
    record ParkedAp(int cpuIndex, int lapicId, long infoPhysical, long stackTopPhysical) {
    }

    private final String fileName;
    private final BootOptions machine;
    private final BootVolume volume;
    private final List<byte[]> machineModules;
    private final PhysicalMemory ram;
    private final PhysicalAllocator allocator;
    private final KernelImage image;
    private final int baseRevision;
    private final int pagingLevels;
    private final long hhdmOffset;
    private final FirmwareTables.Placed firmware;
    private final long stackSize;
    private final List<ParkedAp> parkedAps = new ArrayList<>();
    private final List<LoadedFile> loadedFiles = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private boolean x2apicEnabled;
    private long cmdline = -1;
    BootContext(String fileName, BootOptions machine, BootVolume volume, List<byte[]> machineModules,
                PhysicalMemory ram, PhysicalAllocator allocator, KernelImage image, int baseRevision, int pagingLevels,
                long hhdmOffset, FirmwareTables.Placed firmware, long stackSize) {
        this.fileName = fileName;
        this.machine = machine;
        this.volume = volume;
        this.machineModules = List.copyOf(machineModules);
        this.ram = ram;
        this.allocator = allocator;
        this.image = image;
        this.baseRevision = baseRevision;
        this.pagingLevels = pagingLevels;
        this.hhdmOffset = hhdmOffset;
        this.firmware = firmware;
        this.stackSize = stackSize;
    }

    String fileName() {
        return fileName;
    }

    BootOptions machine() {
        return machine;
    }

    BootVolume volume() {
        return volume;
    }

    /** The contents of {@code machine().modules()}, read when the boot started, in the same order. */
    List<byte[]> machineModules() {
        return machineModules;
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

    KernelImage image() {
        return image;
    }

    PhysicalAllocator allocator() {
        return allocator;
    }

    /** ACPI, SMBIOS and framebuffer placement. */
    FirmwareTables.Placed firmware() {
        return firmware;
    }

    /** Bytes of every stack (BSP and APs), a multiple of 4 KiB. */
    long stackSize() {
        return stackSize;
    }

    /** The kernel's path on the boot volume. */
    String kernelPath() {
        return volume.kernelPath().map(VolumePath::normalise).orElse(VolumePath.ofFileName(fileName));
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

    /**
     * The executable command line as a string in memory, made once: the Executable Cmdline response and the
     * executable file's {@code string} point at the same bytes, as the protocol says.
     */
    long cmdlineString() throws BootException {
        if (cmdline < 0) {
            cmdline = string(machine.cmdline(), "the cmdline");
        }
        return cmdline;
    }

    /** Pages of EXECUTABLE_AND_MODULES memory holding {@code bytes}, the rest of the last page zeroed. */
    long placeFile(byte[] bytes, String what) throws BootException {
        long page = PhysicalAllocator.PAGE;
        long pages = Math.max(page, (bytes.length + page - 1) & -page);
        long paddr = allocator.allocatePages(pages, page, MemoryType.EXECUTABLE_AND_MODULES, what);
        write(paddr, bytes);
        byte[] zeros = new byte[(int) (pages - bytes.length)];
        ram.write(paddr + bytes.length, zeros, 0, zeros.length);
        return paddr;
    }

    void writeU64(long paddr, long value) {
        write(paddr, LittleEndian.u64Bytes(value));
    }

    void writeU32(long paddr, long value) {
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        write(paddr, b);
    }

    void write(long paddr, byte[] bytes) {
        ram.write(paddr, bytes, 0, bytes.length);
    }

    /** The memory map as it stands (see {@link PhysicalAllocator#memoryMap()}). */
    List<MemoryMapEntry> memoryMap() {
        return allocator.memoryMap();
    }

    List<ParkedAp> parkedAps() {
        return parkedAps;
    }

    /** Something the kernel did not get that its developer should hear about (the boot goes on). */
    void warn(String message) {
        warnings.add(message);
    }

    List<String> warnings() {
        return warnings;
    }

    List<LoadedFile> loadedFiles() {
        return loadedFiles;
    }

    boolean x2apicEnabled() {
        return x2apicEnabled;
    }

    void x2apicEnabled(boolean enabled) {
        this.x2apicEnabled = enabled;
    }
}
