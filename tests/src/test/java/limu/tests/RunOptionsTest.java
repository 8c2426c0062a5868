// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Options whose effect shows outside the guest: mid-run screenshots and wall-clock time. */
class RunOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void sigusr2WritesANumberedScreenshotWhileTheKernelRuns() throws Exception {
        Path shot = tmp.resolve("screen.png");
        Process p = new ProcessBuilder(Limu.command("", "run", Limu.kernel("hello.elf").toString(), "--cmdline",
                "spin", "--screenshot", shot.toString(), "--timeout", "20s"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile()).start();
        try {
            // serial lines reach stdout as they come: once the kernel says it spins, limu is running it
            Path log = tmp.resolve("out.txt");
            for (int i = 0; i < 300 && !Files.readString(log).contains("hello: spinning"); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.readString(log).contains("hello: spinning"), Files.readString(log));
            Process kill = new ProcessBuilder("kill", "-USR2", String.valueOf(p.pid())).start();
            assertEquals(0, kill.waitFor());
            Path numbered = tmp.resolve("screen-1.png");
            Path out = tmp.resolve("out.txt");
            // limu says so once the file is complete
            for (int i = 0; i < 200 && !Files.readString(out).contains("framebuffer written to " + numbered); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.readString(out).contains("framebuffer written to " + numbered), Files.readString(out));
            assertTrue(Files.size(numbered) > 0, "mid-run screenshot written");
        } finally {
            new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(14, p.exitValue(), Files.readString(tmp.resolve("out.txt")));
        assertTrue(Files.exists(shot), "final screenshot written at exit");
    }

    @Test
    void wallClockTimeFollowsTheHost() {
        Limu.Result r = Limu.run("run", Limu.kernel("acpi-x2apic.elf").toString(), "--time", "wall", "--timeout",
                "60s");
        assertEquals(33, r.exitCode(), r.toString());
        Matcher m = Pattern.compile("100 interrupts in (\\d+) TSC ticks").matcher(r.stdout());
        assertTrue(m.find(), r.toString());
        long ticks = Long.parseLong(m.group(1));
        // 100 interrupts of a 1 kHz timer take 0.1 s of host time; the run itself lasted at least that long
        assertTrue(ticks >= 95_000_000L, "TSC ticks " + ticks);
        assertTrue(r.millis() >= 100, "run took " + r.millis() + " ms");
        assertEquals(2, Limu.run("run", Limu.kernel("hello.elf").toString(), "--time", "sundial").exitCode());
    }
}
