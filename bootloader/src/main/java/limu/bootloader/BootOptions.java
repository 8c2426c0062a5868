// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the machine offers the kernel, as far as the bootloader needs to know. The emulator's machine configuration
 * implements it, so the one value the command line or a test builds is what {@link LimineBoot#load} reads. Values
 * are range-checked when the boot starts and a bad one is reported as a {@link BootException}.
 * <p>
 * Settings most machines leave alone are default methods, so a new one is one more method here and an override
 * where a configuration wants another value.
 */
public interface BootOptions {
    int MAX_CPUS = 64;
    /** The seed of {@code --kaslr} without a value. */
    long DEFAULT_KASLR_SEED = 1;
    /** The seed of the entropy request's generator without {@code --seed}. */
    long DEFAULT_ENTROPY_SEED = 0;
    /** The optional ACPI tables limu can add after QEMU's set, by signature. */
    List<String> OPTIONAL_ACPI_TABLES = List.of("SPCR");
    /** limu's virtual TSC: 1 GHz, one tick a nanosecond of virtual time. */
    long DEFAULT_TSC_HZ = 1_000_000_000L;

    /** Guest RAM size (see {@link RamLayout#forSize} for the accepted sizes). */
    long memoryBytes();

    /** Number of CPUs, 1–{@value #MAX_CPUS}; CPU {@code i} has local APIC ID and ACPI UID {@code i}, 0 is the BSP. */
    int cpus();

    /** The executable command line (Executable Cmdline request, the executable file's string); never null. */
    String cmdline();

    /** UNIX time reported by the Date At Boot request. */
    long bootEpochSeconds();

    /** Whether the CPU offers 5-level paging (LA57); the kernel gets it only if it asks. */
    boolean fiveLevelPaging();

    /**
     * The display, if the machine has one: its framebuffer is then always placed and listed in the memory map,
     * whether or not the kernel makes the Framebuffer request.
     */
    Optional<FramebufferSize> framebuffer();

    /** Modules from the machine configuration, in order (after the kernel's internal modules). */
    List<ModuleFile> modules();

    /** Whether the CPUs offer x2APIC mode (CPUID.1:ECX[21]); the MP request may then enable it. */
    boolean x2apic();

    /** MMIO addresses of the local APIC, I/O APIC and HPET, as the ACPI tables describe them. */
    default DeviceAddresses deviceAddresses() {
        return DeviceAddresses.DEFAULT;
    }

    /** The Bootloader Performance request's values. */
    default BootloaderTimes bootloaderTimes() {
        return BootloaderTimes.DEFAULT;
    }

    /**
     * Empty: a relocatable kernel runs at its link address (slid into the top 2 GiB only if it is linked below it),
     * as Limine 10 and later do by default. Present: it is slid by a random amount chosen as Limine's KASLR chooses
     * it, from a generator seeded with this value (see {@link KaslrSlide}).
     */
    default OptionalLong kaslrSeed() {
        return OptionalLong.empty();
    }

    /** Seeds the generator whose values answer the entropy request, so runs are reproducible. */
    default long entropySeed() {
        return DEFAULT_ENTROPY_SEED;
    }

    /** Signatures of optional ACPI tables to add after QEMU's set (upper case, e.g. {@code SPCR}). */
    default List<String> extraAcpiTables() {
        return List.of();
    }

    /** The CPUs' TSC rate, reported by the TSC frequency request; 0 leaves that request unanswered. */
    default long tscHz() {
        return DEFAULT_TSC_HZ;
    }
}
