// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing a guest does reaches the host beyond what it was given. The gdb stub listens on loopback
 * unless told otherwise; no host path is readable anywhere in guest memory (the {@code confine}
 * kernel searches all of it); a guest writing far more serial output than limu's heap can hold
 * gets it written through, with the heap capped at 32 MiB. Internal-module paths that climb out of
 * the kernel's folder or follow a symbolic link out of it are refused: {@code ModulePathsTest}.
 */
class ConfinementTest {
    private static final String DISTINCT = "limu-host-path-K9W3";

    @Test
    void gdbStubListensOnLoopbackUnlessToldOtherwise() throws Exception {
        assertEquals("127.0.0.1", gdbListeningAddress("--gdb=0"));
        assertEquals("0.0.0.0", gdbListeningAddress("--gdb-listen", "0.0.0.0:0"),
                "the check sees a non-loopback bind when one is asked for");
    }

    @Test
    void noHostPathAnywhereTheGuestCanRead(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(DISTINCT));
        Path kernel = Files.copy(Limu.kernel("confine-release.elf"), dir.resolve("confine.elf"));
        Files.writeString(dir.resolve("confine-data.txt"), "internal module's contents\n");
        Files.writeString(dir.resolve("mod.txt"), "module's contents\n");
        Path needle = Files.writeString(dir.resolve("needle"), DISTINCT + "\n");

        Limu.Result r = Limu.run("run", kernel.toString(), "--cmdline", "scan", "--serial-input", needle.toString(),
                "--module", dir.resolve("mod.txt") + ",modcmd", "--memory", "64M", "--timeout", "120s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("confine: needle of " + DISTINCT.length() + " bytes"), r.toString());
        assertTrue(r.stdout().contains("executable path: \"/confine.elf\""), r.toString());
        assertTrue(r.stdout().contains("module path: \"/confine-data.txt\""), r.toString());
        assertTrue(r.stdout().contains("module path: \"/mod.txt\""), r.toString());
        assertTrue(r.stdout().contains("confine: no host path"), r.toString());
        Matcher scanned = Pattern.compile("confine: scanned (\\d+) bytes in (\\d+) regions, 0 matches")
                .matcher(r.stdout());
        assertTrue(scanned.find(), r.toString());
        assertTrue(Long.parseLong(scanned.group(1)) > 64L << 20, "all of RAM, the framebuffer and the BIOS areas");
        assertFalse(r.stdout().contains(DISTINCT), "no guest output names the host folder\n" + r);

        // the search finds a host path where one is put: in the cmdline and in a module's contents
        Files.writeString(dir.resolve("mod.txt"), "see " + dir + "/elsewhere\n");
        Limu.Result leak = Limu.run("run", kernel.toString(), "--cmdline", "scan " + dir, "--serial-input",
                needle.toString(), "--module", dir.resolve("mod.txt") + ",modcmd", "--memory", "64M", "--timeout",
                "120s");
        assertEquals(35, leak.exitCode(), leak.toString());
        assertTrue(leak.stdout().matches("(?s).*FOUND host path at 0x\\p{XDigit}+ \\(EXECUTABLE_AND_MODULES\\): "
                + "\".*" + DISTINCT + "/elsewhere.*"), leak.toString());
        assertTrue(leak.stdout().matches("(?s).*FOUND host path at 0x\\p{XDigit}+ \\(BOOTLOADER_RECLAIMABLE\\): "
                + "\".*" + DISTINCT + "\\\\x00.*"), leak.toString());
    }

    @Test
    void aFloodOfOutputWithoutLineEndsIsWrittenThroughWithASmallHeap(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("serial.out");
        int mib = 48;
        List<String> cmd = smallHeap("run", Limu.kernel("confine-release.elf").toString(), "--cmdline",
                "flood " + mib + " raw", "--serial", "file:" + out, "--fail-on", "panicked at", "--timeout", "300s");
        Process p = new ProcessBuilder(cmd).directory(Limu.HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("limu.txt").toFile()).start();
        p.getOutputStream().close();
        TreeSet<Long> sizesWhileRunning = new TreeSet<>();
        long rssKb = 0;
        while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
            rssKb = Math.max(rssKb, rssKb(p.pid()));
            if (Files.exists(out) && p.isAlive()) {
                sizesWhileRunning.add(Files.size(out));
            }
        }
        String messages = Files.readString(dir.resolve("limu.txt"));
        assertEquals(33, p.exitValue(), messages);
        String tail = "confine: flooded " + mib + " MiB\n";
        assertEquals((long) mib << 20, Files.size(out) - tail.length(), messages);
        assertTrue(sizesWhileRunning.headSet((long) mib << 20).size() >= 3,
                "the file grows while the guest writes: " + sizesWhileRunning);
        System.out.printf("ConfinementTest: %d MiB without a line end to a file with -Xmx32m: peak RSS seen %d MB%n",
                mib, rssKb / 1024);
    }

    @Test
    void aSlowPipeHoldsTheGuestBackInsteadOfFillingTheHeap() throws Exception {
        int mib = 48;
        List<String> cmd = smallHeap("run", Limu.kernel("confine-release.elf").toString(), "--cmdline",
                "flood " + mib + " lines", "--timeout", "300s");
        Process p = new ProcessBuilder(cmd).directory(Limu.HOME.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        long total = 0;
        byte[] b = new byte[64 << 10];
        try (InputStream in = p.getInputStream()) {
            long slowUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            int n;
            while ((n = in.read(b)) > 0) {
                total += n;
                if (System.nanoTime() < slowUntil) {
                    Thread.sleep(50);   // a reader far slower than the guest writes
                }
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(33, p.exitValue());
        assertEquals(((long) mib << 20) + ("confine: flooded " + mib + " MiB\n").length(), total);
    }

    /** limu's java command with a 32 MiB heap: far less than the output the guest writes. */
    private static List<String> smallHeap(String... args) {
        List<String> cmd = new ArrayList<>(Limu.command("", args));
        cmd.add(1, "-Xmx32m");
        return cmd;
    }

    private static long rssKb(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;   // the process just ended
        }
        return 0;
    }

    /**
     * Starts limu with the given gdb options (waiting for gdb), takes the port from its message, and returns the
     * listening socket's local address as the kernel's socket table shows it.
     */
    private static String gdbListeningAddress(String... gdb) throws Exception {
        List<String> cmd = new ArrayList<>(Limu.command("", "run", Limu.kernel("hello.elf").toString(), "--gdb-wait",
                "--timeout", "60s"));
        cmd.addAll(List.of(gdb));
        GdbSessions.Listening limu = GdbSessions.launch(new ProcessBuilder(cmd).directory(Limu.HOME.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD));
        Process p = limu.process();
        int port = limu.address().port();
        try {
            TreeSet<String> inodes = new TreeSet<>();
            try (var fds = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            inodes.add(target.substring(8, target.length() - 1));
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            }
            for (String table : new String[] {"tcp", "tcp6"}) {
                for (String row : Files.readAllLines(Path.of("/proc/" + p.pid() + "/net/" + table))) {
                    String[] f = row.trim().split("\\s+");
                    if (f.length < 10 || !f[3].equals("0A") || !inodes.contains(f[9])) {
                        continue;   // not a listening socket of this process
                    }
                    String[] local = f[1].split(":");
                    if (Integer.parseInt(local[1], 16) == port) {
                        return ipv4(local[0]);
                    }
                }
            }
            fail("no listening socket on port " + port + " among limu's sockets " + inodes);
            return null;
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** /proc/net/tcp{,6}'s hex address as dotted IPv4 (an IPv6 one must be v4-mapped or unspecified). */
    private static String ipv4(String hex) {
        if (hex.length() == 32) {
            if (hex.equals("0".repeat(32))) {
                return "0.0.0.0";
            }
            assertEquals("0000000000000000FFFF0000", hex.substring(0, 24), "an IPv4-mapped address: " + hex);
            hex = hex.substring(24);
        }
        long v = Long.parseLong(hex, 16);   // little-endian on x86
        return (v & 0xff) + "." + (v >> 8 & 0xff) + "." + (v >> 16 & 0xff) + "." + (v >> 24 & 0xff);
    }
}
