// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * limu as a Limine bootloader (base revisions 0–{@value Limine#MAX_BASE_REVISION}) on a BIOS PC: loads a kernel
 * ELF into guest RAM, lays out the firmware's ACPI and SMBIOS tables, answers the kernel's requests, builds its
 * page tables and says how its CPUs start.
 * <p>
 * Physical placement (see {@link PhysicalAllocator}): everything goes top-down from the end of RAM below 3 GiB, the
 * kernel first (one contiguous block, aligned to its largest {@code p_align} between 4 KiB and 2 MiB), then the
 * ACPI tables (ACPI_RECLAIMABLE) and the FACS (ACPI_NVS), the GDT and responses, the files (executable copy,
 * modules: EXECUTABLE_AND_MODULES), the AP stacks, the BSP stack, the page tables and last the memory map; all of
 * it BOOTLOADER_RECLAIMABLE unless said otherwise. The RSDP and SMBIOS entry points sit in the BIOS area at 0xF0000
 * and the framebuffer in the PCI hole at 0xFD000000 (see {@link FirmwareTables}). Physical 0x1000–0x9f000 and 1 MiB
 * upwards otherwise stay USABLE.
 * <p>
 * Order of work, as in Limine's {@code limine_load}: load the image; read and answer the base revision tag; find
 * the requests; let requests that shape the boot (paging mode, stack size, entry point) have their say; answer the
 * requests; place the stack; build the page tables from the memory map as it then stands; answer the memory map
 * request last so it describes its own storage.
 */
public final class LimineBoot {
    /** The bootloader version reported by the Bootloader Info request. */
    public static final String VERSION = "0.1.0";

    static final long CR0 = 0x8001_0011L; // PE | ET | WP | PG
    static final long CR4_PAE = 1 << 5;
    static final long CR4_LA57 = 1 << 12;
    static final long EFER = 0xd00; // LME | LMA | NXE
    static final long PAT = 0x0000_0105_0007_0406L; // WB, WT, UC-, UC, WP, WC, UC-, UC
    static final long RFLAGS = 0x2;

    private LimineBoot() {
    }

    /**
     * Boots {@code elf} into {@code ram}.
     *
     * @param elf     the kernel file's bytes (kept by the returned plan's {@link ElfFile}; do not modify)
     * @param elfName how error messages name the file, e.g. {@code kernel.elf}
     * @param machine what the machine offers
     * @param volume  the boot volume the kernel came from
     * @param ram     guest RAM covering every region of {@code RamLayout.forSize(machine.memoryBytes())}
     * @throws BootException if the file is not a bootable Limine kernel or does not fit the machine, or a module
     *                       file cannot be read
     */
    public static BootPlan load(byte[] elf, String elfName, BootOptions machine, BootVolume volume, PhysicalMemory ram)
            throws BootException {
        List<RamRegion> layout = RamLayout.forSize(machine.memoryBytes());
        BootOptionsCheck.check(machine, volume);
        List<byte[]> modules = new ArrayList<>();
        for (ModuleFile m : machine.modules()) {
            modules.add(m.read());
        }
        ElfFile linked = ElfFile.parse(elf, elfName);
        long slide = KaslrSlide.choose(linked, machine.kaslrSeed());
        ElfFile file = linked.slid(slide);
        KernelImage image = KernelImage.of(file);
        Relocations relocations = Relocations.of(linked);
        PhysicalAllocator allocator = new PhysicalAllocator(elfName, layout);

        if (Long.compareUnsigned(image.span(), allocator.available()) > 0) {
            throw new BootException(elfName + ": the kernel image spans " + hex(image.span()) + " bytes ("
                    + hex(image.pageBase()) + ".." + hex(image.pageBase() + image.span()) + "), more than the "
                    + hex(allocator.available()) + " bytes of RAM limu can place it in (between 1 MiB and "
                    + hex(layout.get(0).end()) + "); give the machine more memory");
        }
        long block = allocator.allocatePages(image.span(), image.alignment(), image.residue(),
                MemoryType.EXECUTABLE_AND_MODULES, "the kernel image");
        image.load(ram, block);
        relocations.apply(image, ram, slide);

        // Base revision (docs/limine-notes.md, "Base revisions"): tag[1] = revision used; tag[2] = 0 only if the
        // asked revision is supported.
        Optional<RequestScanner.BaseRevisionTag> tag = RequestScanner.baseRevisionTag(image);
        int requested = -1;
        int used = 0;
        boolean supported = true;
        if (tag.isPresent()) {
            long asked = tag.get().revision();
            requested = Long.compareUnsigned(asked, Integer.MAX_VALUE) > 0 ? Integer.MAX_VALUE : (int) asked;
            supported = Long.compareUnsigned(asked, Limine.MAX_BASE_REVISION) <= 0;
            used = supported ? (int) asked : Limine.MAX_BASE_REVISION;
            long tagAddress = image.physical(image.virtualBase() + tag.get().offset());
            write(ram, tagAddress + 8, used);
            if (supported) {
                write(ram, tagAddress + 16, 0);
            }
        }

        // Requests: known ones by kind, the rest listed as ignored.
        List<String> ignored = new ArrayList<>();
        List<FoundRequest> found = RequestScanner.requests(image);
        List<FoundRequest> known = new ArrayList<>();
        List<LimineRequest> kinds = new ArrayList<>();
        for (FoundRequest request : found) {
            Optional<LimineRequest> kind = Requests.find(request.id2(), request.id3());
            if (kind.isEmpty()) {
                ignored.add(Requests.definedButNotAnswered(request.id2(), request.id3())
                        ? Requests.describe(request.id2(), request.id3()) + " request at " + hex(request.virtual())
                            + " (not supported yet)"
                        : "unknown request (id " + hex(request.id2()) + ", " + hex(request.id3()) + ") at "
                            + hex(request.virtual()));
            } else if (!request.fits(kind.get().size(request.revision()))) {
                ignored.add(kind.get().name() + " request at " + hex(request.virtual())
                        + " (runs past the end of the kernel's file-backed data)");
            } else {
                known.add(request);
                kinds.add(kind.get());
            }
        }

        BootSetup setup = new BootSetup(elfName, machine.fiveLevelPaging());
        for (int i = 0; i < known.size(); i++) {
            kinds.get(i).prepare(known.get(i), setup);
        }
        int levels = setup.pagingLevels();
        long hhdmOffset = levels == 5 ? Limine.HHDM_5_LEVEL : Limine.HHDM_4_LEVEL;
        long stackSize = (setup.stackSize() + PhysicalAllocator.PAGE - 1) & -PhysicalAllocator.PAGE;
        if (stackSize <= 0) {
            throw new BootException(elfName + ": stack size request of " + hex(setup.stackSize())
                    + " bytes cannot be met");
        }

        // The firmware's part (ACPI, SMBIOS, display) exists before the bootloader's.
        FirmwareTables.Placed firmware = FirmwareTables.install(machine, layout, ram, allocator, used);
        BootContext context = new BootContext(elfName, machine, volume, modules, ram, allocator, image, used, levels,
                hhdmOffset, firmware, stackSize);

        long gdt = context.allocate(Gdt.SIZE, 16, "the GDT");
        context.write(gdt, Gdt.bytes());

        List<String> answered = new ArrayList<>();
        answer(LimineRequest.Stage.RESPONSES, known, kinds, context, answered, ignored);

        long stackTop = allocator.allocatePages(stackSize, PhysicalAllocator.PAGE,
                MemoryType.BOOTLOADER_RECLAIMABLE, "the stack") + stackSize;
        context.writeU64(stackTop - 8, 0); // the null return address Limine pushes

        PageTables tables = BootAddressSpace.build(levels,
                () -> allocator.allocatePages(PageTables.PAGE, PageTables.PAGE, MemoryType.BOOTLOADER_RECLAIMABLE,
                        "the page tables"),
                image, used, hhdmOffset, allocator.memoryMap());
        tables.writeTo(ram);

        answer(LimineRequest.Stage.MEMORY_MAP, known, kinds, context, answered, ignored);

        long entry = setup.entryPoint().orElse(file.entry());
        CpuEntryState bsp = entryState(entry, context.hhdm(stackTop - 8), 0, tables.root(), levels,
                context.hhdm(gdt));
        List<ApStart> aps = new ArrayList<>();
        for (BootContext.ParkedAp ap : context.parkedAps()) {
            long info = context.hhdm(ap.infoPhysical());
            long top = context.hhdm(ap.stackTopPhysical());
            aps.add(new ApStart(ap.cpuIndex(), ap.lapicId(), ap.infoPhysical() + MpRequest.INFO_GOTO_ADDRESS, info,
                    top, entryState(0, top - 8, info, tables.root(), levels, context.hhdm(gdt))));
        }
        return BootPlan.builder().bsp(bsp).memoryMap(allocator.memoryMap()).hhdmOffset(hhdmOffset)
                .baseRevision(requested, used, supported).pagingLevels(levels)
                .kernel(file, context.kernelPhysicalBase(), image.virtualBase()).requests(answered, ignored)
                .cpuCount(machine.cpus()).aps(aps).x2apicEnabled(context.x2apicEnabled()).initialiseLapic(used >= 5)
                .rsdpPhysical(firmware.rsdp()).framebuffer(firmware.framebuffer()).files(context.loadedFiles()).warnings(context.warnings())
                .devices(machine.deviceAddresses())
                .relocation(linked.type() == ElfFile.ET_DYN, slide, relocations.entries().size()).build();
    }

    /** Limine's entry state, the same on every CPU but for RIP, RSP and RDI. */
    private static CpuEntryState entryState(long rip, long rsp, long rdi, long cr3, int levels, long gdtBase) {
        int data = Gdt.KERNEL_DATA;
        return new CpuEntryState(rip, rsp, rdi, RFLAGS,
                new CpuEntryState.ControlRegisters(CR0, cr3, CR4_PAE | (levels == 5 ? CR4_LA57 : 0), EFER, PAT),
                new CpuEntryState.TableRegister(gdtBase, Gdt.LIMIT), new CpuEntryState.TableRegister(0, 0),
                new CpuEntryState.Segments(Gdt.KERNEL_CODE, data, data, data, data, data, 0, 0));
    }

    private static void answer(LimineRequest.Stage stage, List<FoundRequest> found, List<LimineRequest> kinds,
                               BootContext context, List<String> answered, List<String> ignored)
            throws BootException {
        for (LimineRequest kind : Requests.ALL) {
            if (kind.stage() != stage) {
                continue;
            }
            for (int i = 0; i < found.size(); i++) {
                if (kinds.get(i) != kind) {
                    continue;
                }
                FoundRequest request = found.get(i);
                OptionalLong response = kind.respond(request, context);
                if (response.isPresent()) {
                    context.writeU64(request.physical() + Limine.REQUEST_RESPONSE, context.hhdm(response.getAsLong()));
                    answered.add(kind.name());
                } else {
                    ignored.add(kind.name() + " request at " + hex(request.virtual()) + " ("
                            + kind.unansweredReason(context) + ")");
                }
            }
        }
    }

    private static void write(PhysicalMemory ram, long paddr, long value) {
        ram.write(paddr, LittleEndian.u64Bytes(value), 0, 8);
    }
}
