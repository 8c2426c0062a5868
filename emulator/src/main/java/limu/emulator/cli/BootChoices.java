// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import limu.bootloader.BootOptions;
import limu.emulator.MachineConfig;
import picocli.CommandLine.Option;

/**
 * What the bootloader chooses for a kernel beyond the machine itself: the KASLR slide, the entropy seed, the
 * optional ACPI tables and where internal modules are found. {@code limu run} and {@code limu test} take the same.
 */
final class BootChoices {
    @Option(names = "--kaslr", arity = "0..1", paramLabel = "SEED",
            fallbackValue = "" + BootOptions.DEFAULT_KASLR_SEED,
            description = "slide a relocatable (PIE) kernel to a random place in the top 2 GiB as Limine's KASLR"
                    + " does, the same place for the same SEED (default seed 1); without it such a kernel runs at"
                    + " its link address")
    Long kaslrSeed;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "seed of the values the entropy request hands out (default: ${DEFAULT-VALUE}); the same"
                    + " seed gives the same values")
    long seed;

    @Option(names = "--acpi-table", paramLabel = "NAME",
            description = "add an optional ACPI table after QEMU's FACP, APIC, HPET, WAET (repeatable): spcr (a"
                    + " Serial Port Console Redirection table for COM1)")
    List<String> acpiTables = new ArrayList<>();

    @Option(names = "--module-dir", paramLabel = "DIR",
            description = "look for the kernel's internal modules here too, after the kernel's own folder"
                    + " (repeatable, in order); a module path may not lead out of these folders")
    List<Path> moduleDirs = new ArrayList<>();

    /** IllegalArgumentException (a usage error) for an unknown table or a module directory that is not one. */
    MachineConfig.Builder applyTo(MachineConfig.Builder b) {
        for (String t : acpiTables) {
            if (!BootOptions.OPTIONAL_ACPI_TABLES.contains(t.toUpperCase(Locale.ROOT))) {
                throw new IllegalArgumentException("--acpi-table " + t + ": limu can add "
                        + String.join(", ", BootOptions.OPTIONAL_ACPI_TABLES).toLowerCase(Locale.ROOT));
            }
        }
        for (Path d : moduleDirs) {
            if (!Files.isDirectory(d)) {
                throw new IllegalArgumentException("--module-dir " + d + ": not a directory");
            }
        }
        return b.kaslrSeed(kaslrSeed == null ? OptionalLong.empty() : OptionalLong.of(kaslrSeed))
                .entropySeed(seed).extraAcpiTables(acpiTables).moduleDirs(moduleDirs);
    }
}
