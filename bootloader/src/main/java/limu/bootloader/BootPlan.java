// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of {@link LimineBoot#load}: guest RAM already holds the kernel, the page tables, every response and
 * the firmware tables; this says how to start the CPUs, what the emulator must map besides RAM, and what was done.
 * The bootloader makes it with a {@link Builder}, one named setter for each part.
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
 * @param warnings               what the kernel asked for and was not given, though the boot went on (an optional
 *                               internal module missing or refused), one line each
 */
public record BootPlan(CpuEntryState bsp, List<MemoryMapEntry> memoryMap, long hhdmOffset, int requestedBaseRevision,
                       int baseRevision, boolean baseRevisionSupported, int pagingLevels, long kernelPhysicalBase,
                       long kernelVirtualBase, List<String> answeredRequests, List<String> ignoredRequests,
                       ElfFile kernel, int cpuCount, List<ApStart> aps, boolean x2apicEnabled,
                       boolean initialiseLapic, long rsdpPhysical, Optional<FramebufferPlan> framebuffer,
                       List<LoadedFile> files, DeviceAddresses devices, boolean kernelRelocatable,
                       long kernelSlide, int relocations, List<String> warnings) {
    public BootPlan {
        memoryMap = List.copyOf(memoryMap);
        answeredRequests = List.copyOf(answeredRequests);
        ignoredRequests = List.copyOf(ignoredRequests);
        aps = List.copyOf(aps);
        files = List.copyOf(files);
        warnings = List.copyOf(warnings);
    }

    static Builder builder() {
        return new Builder();
    }

    /** Collects the plan as {@link LimineBoot#load} works it out; each setter is named after the component. */
    static final class Builder {
        private CpuEntryState bsp;
        private List<MemoryMapEntry> memoryMap = List.of();
        private long hhdmOffset;
        private int requestedBaseRevision = -1;
        private int baseRevision;
        private boolean baseRevisionSupported = true;
        private int pagingLevels = 4;
        private long kernelPhysicalBase;
        private long kernelVirtualBase;
        private List<String> answeredRequests = List.of();
        private List<String> ignoredRequests = List.of();
        private ElfFile kernel;
        private int cpuCount = 1;
        private List<ApStart> aps = List.of();
        private boolean x2apicEnabled;
        private boolean initialiseLapic;
        private long rsdpPhysical;
        private Optional<FramebufferPlan> framebuffer = Optional.empty();
        private List<LoadedFile> files = List.of();
        private List<String> warnings = List.of();
        private DeviceAddresses devices = DeviceAddresses.DEFAULT;
        private boolean kernelRelocatable;
        private long kernelSlide;
        private int relocations;

        private Builder() {
        }

        Builder bsp(CpuEntryState v) {
            bsp = v;
            return this;
        }

        Builder memoryMap(List<MemoryMapEntry> v) {
            memoryMap = v;
            return this;
        }

        Builder hhdmOffset(long v) {
            hhdmOffset = v;
            return this;
        }

        /** The revision the kernel asked for (-1: no tag), the one it was loaded with, and whether it was known. */
        Builder baseRevision(int requested, int used, boolean supported) {
            requestedBaseRevision = requested;
            baseRevision = used;
            baseRevisionSupported = supported;
            return this;
        }

        Builder pagingLevels(int v) {
            pagingLevels = v;
            return this;
        }

        Builder kernel(ElfFile file, long physicalBase, long virtualBase) {
            kernel = file;
            kernelPhysicalBase = physicalBase;
            kernelVirtualBase = virtualBase;
            return this;
        }

        Builder requests(List<String> answered, List<String> ignored) {
            answeredRequests = answered;
            ignoredRequests = ignored;
            return this;
        }

        Builder cpuCount(int v) {
            cpuCount = v;
            return this;
        }

        Builder aps(List<ApStart> v) {
            aps = v;
            return this;
        }

        Builder x2apicEnabled(boolean v) {
            x2apicEnabled = v;
            return this;
        }

        Builder initialiseLapic(boolean v) {
            initialiseLapic = v;
            return this;
        }

        Builder rsdpPhysical(long v) {
            rsdpPhysical = v;
            return this;
        }

        Builder framebuffer(Optional<FramebufferPlan> v) {
            framebuffer = v;
            return this;
        }

        Builder files(List<LoadedFile> v) {
            files = v;
            return this;
        }

        Builder devices(DeviceAddresses v) {
            devices = v;
            return this;
        }

        /** A position-independent kernel moved {@code slide} bytes by applying {@code relocations} entries. */
        Builder relocation(boolean relocatable, long slide, int relocationCount) {
            kernelRelocatable = relocatable;
            kernelSlide = slide;
            relocations = relocationCount;
            return this;
        }

        Builder warnings(List<String> v) {
            warnings = v;
            return this;
        }

        BootPlan build() {
            return new BootPlan(bsp, memoryMap, hhdmOffset, requestedBaseRevision, baseRevision,
                    baseRevisionSupported, pagingLevels, kernelPhysicalBase, kernelVirtualBase, answeredRequests,
                    ignoredRequests, kernel, cpuCount, aps, x2apicEnabled, initialiseLapic, rsdpPhysical, framebuffer,
                    files, devices, kernelRelocatable, kernelSlide, relocations, warnings);
        }
    }
}
