package limu.bootloader;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of {@link LimineBoot#load}: guest RAM already holds the kernel, the page tables, every response and
 * the firmware tables; this says how to start the CPUs, what the emulator must map besides RAM, and what was done.
 *
 * @param bsp                    entry state of the bootstrap processor (CPU 0)
 * @param memoryMap              the memory map exactly as reported to the kernel (also when it did not ask)
 * @param hhdmOffset             virtual address of physical 0 in the higher-half direct map
 * @param requestedBaseRevision  the revision in the kernel's base revision tag, -1 if it has none (treated as 0),
 *                               saturated at {@link Integer#MAX_VALUE}
 * @param baseRevision           the base revision the kernel was loaded with
 * @param baseRevisionSupported  false if the kernel asked for a newer revision than limu knows (the tag's
 *                               third word was left as is, so the kernel can tell)
 * @param pagingLevels           4 or 5
 * @param kernelPhysicalBase     physical address of {@code kernelVirtualBase}
 * @param kernelVirtualBase      lowest virtual address of the kernel's PT_LOAD segments
 * @param answeredRequests       names of the requests that got a response, in the order answered
 * @param ignoredRequests        requests found but left without a response, each with the reason
 * @param kernel                 the parsed kernel, for symbols
 * @param cpuCount               CPUs in the machine (and in the MADT); CPU {@code i} has LAPIC ID {@code i}
 * @param aps                    the APs the MP request parked, by CPU index, each waiting for a write to its
 *                               {@code goto_address}; empty without an MP request, in which case CPUs 1.. are in
 *                               wait-for-SIPI state like on a freshly reset PC
 * @param x2apicEnabled          every CPU's local APIC must be in x2APIC mode at entry (IA32_APIC_BASE bit 10):
 *                               the MP request asked for it and the machine supports it
 * @param initialiseLapic        base revision 5 or later: every CPU's local APIC starts enabled (IA32_APIC_BASE
 *                               bit 11) with SVR = 0x1FF, TPR = 0, every LVT entry masked, LINT1 programmed as NMI
 *                               (edge, active high: the MADT's Local APIC NMI entry, conforming flags) and masked;
 *                               and the I/O APIC's NMI and ExtINT redirection entries are masked too
 * @param rsdpPhysical           where the ACPI RSDP is (the firmware tables are already in RAM)
 * @param framebuffer            the display's pixel memory the emulator must back with host memory, if the machine
 *                               has a display (independent of the Framebuffer request)
 * @param files                  the executable copy and the modules placed for the kernel, in response order
 * @param devices                the device MMIO addresses the ACPI tables describe
 * @param kernelRelocatable      the kernel is position-independent ({@code ET_DYN}) and was relocated
 * @param kernelSlide            how far the kernel was moved from its link addresses ({@code kernel} already
 *                               speaks of the moved addresses; 0 for a static kernel)
 * @param relocations            relocation entries applied
 */
public record BootPlan(CpuEntryState bsp, List<MemoryMapEntry> memoryMap, long hhdmOffset, int requestedBaseRevision,
                       int baseRevision, boolean baseRevisionSupported, int pagingLevels, long kernelPhysicalBase,
                       long kernelVirtualBase, List<String> answeredRequests, List<String> ignoredRequests,
                       ElfFile kernel, int cpuCount, List<ApStart> aps, boolean x2apicEnabled,
                       boolean initialiseLapic, long rsdpPhysical, Optional<FramebufferPlan> framebuffer,
                       List<LoadedFile> files, DeviceAddresses devices, boolean kernelRelocatable,
                       long kernelSlide, int relocations) {
    public BootPlan {
        memoryMap = List.copyOf(memoryMap);
        answeredRequests = List.copyOf(answeredRequests);
        ignoredRequests = List.copyOf(ignoredRequests);
        aps = List.copyOf(aps);
        files = List.copyOf(files);
    }
}
