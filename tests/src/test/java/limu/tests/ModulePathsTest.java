// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Internal modules asked for by path (module-paths kernel): found beside the kernel as in a cargo workspace's
 * target folder, through {@code boot():/}, in a {@code --module-dir}; a missing one and one climbing out with
 * {@code ../} are left out with one warning each, and the boot goes on.
 */
class ModulePathsTest {
    @TempDir
    Path tmp;

    private Path kernelDir;
    private Path moduleDir;

    private Path layout() throws Exception {
        kernelDir = Files.createDirectories(tmp.resolve("workspace/target/debug"));
        moduleDir = Files.createDirectories(tmp.resolve("modules"));
        Path kernel = Files.copy(Limu.kernel("module-paths.elf"), kernelDir.resolve("module-paths"));
        Files.writeString(kernelDir.resolve("beside.txt"), "sibling binary");
        Files.writeString(kernelDir.resolve("rooted.txt"), "at the root");
        Files.writeString(moduleDir.resolve("from-dir.txt"), "from the module dir");
        Files.writeString(kernelDir.resolve("../escape.txt"), "must stay outside");
        return kernel;
    }

    private static List<String> modules(Limu.Result r) {
        return r.stdout().lines().filter(l -> l.startsWith("module ")).toList();
    }

    @Test
    void foundBesideTheKernelAndInModuleDirsMissingAndEscapingOnesWarned() throws Exception {
        Path kernel = layout();
        Limu.Result r = Limu.run("run", kernel.toString(), "--module-dir", moduleDir.toString(), "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertEquals(List.of(
                "module /beside.txt size 14 text \"sibling binary\"",
                "module /rooted.txt size 11 text \"at the root\"",
                "module /from-dir.txt size 19 text \"from the module dir\""), modules(r), r.toString());
        assertTrue(r.stdout().contains("module-paths: 3 modules"), r.stdout());
        List<String> warnings = r.stderr().lines().filter(l -> l.startsWith("limu: warning: ")).toList();
        assertEquals(2, warnings.size(), r.stderr());
        assertTrue(warnings.get(0).endsWith("internal module 3: missing.txt left out: /missing.txt not found"),
                warnings.get(0));
        assertTrue(warnings.get(1).endsWith("internal module 4: ../escape.txt left out: refused: it climbs above the"
                + " boot volume's root"), warnings.get(1));
        r.assertNoStackTrace();

        Limu.Result without = Limu.run("run", kernel.toString(), "--timeout", "30s");
        assertEquals(33, without.exitCode(), without.toString());
        assertEquals(2, modules(without).size(), "no --module-dir: from-dir.txt is missing too\n" + without);
        assertTrue(without.stderr().contains("from-dir.txt left out: /from-dir.txt not found"), without.stderr());
    }

    @Test
    void aSymbolicLinkLeadingOutOfTheFoldersIsRefused() throws Exception {
        Path kernel = layout();
        Files.delete(kernelDir.resolve("beside.txt"));
        Files.createSymbolicLink(kernelDir.resolve("beside.txt"), kernelDir.resolve("../escape.txt"));
        Limu.Result r = Limu.run("run", kernel.toString(), "--module-dir", moduleDir.toString(), "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertFalse(r.stdout().contains("must stay outside"), r.stdout());
        assertTrue(r.stderr().contains("internal module 0: beside.txt left out: refused: "), r.stderr());
        assertTrue(r.stdout().contains("module-paths: 2 modules"), r.stdout());
    }

    @Test
    void aModuleDirThatIsNoDirectoryIsAUsageErrorAndLimuTestTakesTheOption() throws Exception {
        Path kernel = layout();
        Limu.Result bad = Limu.run("run", kernel.toString(), "--module-dir", tmp.resolve("nowhere").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().startsWith("limu: --module-dir "), bad.stderr());

        Limu.Result t = Limu.run("test", "--success-exit-code", "33", "--log-dir", tmp.resolve("logs").toString(),
                "--module-dir", moduleDir.toString(), kernel.toString());
        assertEquals(0, t.exitCode(), t.toString());
        String log = Files.readString(tmp.resolve("logs/module-paths.log"));
        assertTrue(log.contains("module /from-dir.txt size 19"), log);
    }
}
