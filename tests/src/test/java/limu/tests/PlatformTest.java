// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * ACPI, HPET, PIT, PM timer, RTC, 8259, local APIC (xAPIC and x2APIC) and
 * I/O APIC, checked from inside the platform kernel, and the acpi/x2apic
 * crates receiving their timer interrupts.
 */
class PlatformTest {
    private static void assertPassed(Limu.Result r, String summary) {
        assertEquals(33, r.exitCode(), r.toString());
        assertFalse(r.stdout().contains("FAIL"), r.toString());
        assertTrue(r.stdout().contains(summary), r.toString());
        r.assertNoStackTrace();
    }

    @ParameterizedTest
    @CsvSource({"1,''", "4,cpus=4", "1,x2apic", "4,x2apic cpus=4"})
    void thePlatformKernelsChecksAllPass(int cpus, String cmdline) {
        Limu.Result r = Limu.run("run", Limu.kernel("platform.elf").toString(), "--cpus", String.valueOf(cpus),
                "--cmdline", cmdline, "--timeout", "60s");
        assertPassed(r, ", 0 failed");
        assertTrue(r.stdout().contains("1000 interrupts in one HPET second"), r.toString());
        if (cpus > 1) {
            assertTrue(r.stdout().contains("counted 1000 fixed IPIs"), r.toString());
        }
    }

    /** The release build packs several 8259 writes into one translation block: none may be lost. */
    @Test
    void theReleaseBuildPassesToo() {
        Limu.Result r = Limu.run("run", Limu.kernel("platform-release.elf").toString(), "--cpus", "4",
                "--cmdline", "cpus=4", "--timeout", "60s");
        assertPassed(r, ", 0 failed");
    }

    @Test
    void withoutX2apicTheKernelStaysInXapicMode() {
        Limu.Result r = Limu.run("run", Limu.kernel("platform.elf").toString(), "--no-x2apic", "--cpus", "2",
                "--cmdline", "cpus=2", "--timeout", "60s");
        assertPassed(r, ", 0 failed");
        assertTrue(r.stdout().contains("lapic: mode xAPIC"), r.toString());
    }

    @ParameterizedTest
    @CsvSource({"x2APIC,'',''", "xAPIC,xapic,--no-x2apic"})
    void theAcpiAndX2apicCratesGetTheirTimerInterrupts(String mode, String cmdline, String option) {
        Limu.Result r = option.isEmpty()
                ? Limu.run("run", Limu.kernel("acpi-x2apic.elf").toString(), "--cmdline", cmdline, "--timeout", "60s")
                : Limu.run("run", Limu.kernel("acpi-x2apic.elf").toString(), option, "--cmdline", cmdline,
                        "--timeout", "60s");
        assertPassed(r, "x2apic: " + mode + " timer interrupts: 100");
    }

    @Test
    void timerDrivenSmpRunsAreIdenticalRunToRun() {
        String[] args = {"run", Limu.kernel("platform.elf").toString(), "--cpus", "4", "--cmdline", "cpus=4",
            "--date", "2026-01-01T00:00:00Z", "--timeout", "60s"};
        Limu.Result first = Limu.run(args);
        assertPassed(first, ", 0 failed");
        Limu.Result second = Limu.run(args);
        assertEquals(first.stdout(), second.stdout(), "same kernel, same options: same output and timer readings");
    }
}
