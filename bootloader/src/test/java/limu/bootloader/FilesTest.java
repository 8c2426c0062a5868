// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Executable File and Module requests. */
class FilesTest {
    private static final long PAGE = 4096;

    @TempDir
    Path tmp;

    /** A {@code limine_file} read back. */
    record File(long address, long size, String path, String string, long stringPointer) {
    }

    private static File file(Booted b, long pointer) {
        SparseMemory ram = b.ram();
        long f = b.fromHhdm(pointer);
        assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(f));
        byte[] raw = ram.bytes(f, 112);
        assertEquals(0, LittleEndian.u64(raw, 0), "revision");
        for (int off = 40; off < 112; off++) {
            assertEquals(0, raw[off], "media type generic, no TFTP, no partition, zero UUIDs: byte " + off);
        }
        return new File(b.fromHhdm(LittleEndian.u64(raw, 8)), LittleEndian.u64(raw, 16),
                ram.cString(b.fromHhdm(LittleEndian.u64(raw, 24))), ram.cString(b.fromHhdm(LittleEndian.u64(raw, 32))),
                LittleEndian.u64(raw, 32));
    }

    private static void checkPlaced(Booted b, File f, byte[] expected) {
        assertEquals(0, f.address() % PAGE, "4 KiB aligned");
        assertEquals(expected.length, f.size());
        assertArrayEquals(expected, b.ram().bytes(f.address(), expected.length));
        long end = (f.address() + Math.max(1, expected.length) + PAGE - 1) & -PAGE;
        for (long a = f.address(); a < end; a += PAGE) {
            assertEquals(MemoryType.EXECUTABLE_AND_MODULES, b.typeAt(a));
        }
        int tail = (int) (end - f.address() - expected.length);
        assertArrayEquals(new byte[tail], b.ram().bytes(f.address() + expected.length, tail), "rest of page zero");
    }

    @Test
    void executableFileIsACopyOfTheElf() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.EXECUTABLE_FILE, 0);
        long cmdline = k.request(TestKernel.EXECUTABLE_CMDLINE, 0);
        byte[] elf = k.build();
        Booted b = Booted.boot(elf, Booted.config(64 * MIB).cmdline("quiet log=debug"));
        long r = b.response(req);
        assertEquals(0, b.ram().u64(r));
        File f = file(b, b.ram().u64(r + 8));
        checkPlaced(b, f, elf);
        assertEquals("/kernel.elf", f.path());
        assertEquals("quiet log=debug", f.string());
        assertEquals(b.ram().u64(b.response(cmdline) + 8), f.stringPointer(), "same memory as the cmdline response");
        assertEquals(List.of(new LoadedFile("executable", "/kernel.elf", "quiet log=debug", f.address(), elf.length)),
                b.plan().files());

        Booted boot = Booted.boot(elf, Booted.config(64 * MIB).kernelPath("/boot//limine/../kernel"));
        assertEquals("/boot/kernel", file(boot, boot.ram().u64(boot.response(req) + 8)).path());
    }

    @Test
    void configuredModulesAreCopiedInOrder() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.MODULE, 0);
        byte[] initrd = new byte[5000];
        for (int i = 0; i < initrd.length; i++) {
            initrd[i] = (byte) (i * 7);
        }
        byte[] font = "FONT".getBytes(StandardCharsets.US_ASCII);
        Files.createDirectories(tmp.resolve("build/out"));
        List<ModuleFile> modules = List.of(
                new ModuleFile(Files.write(tmp.resolve("build/out/initrd.tar"), initrd), "root=ram"),
                new ModuleFile(Files.write(tmp.resolve("font.psf"), font), null),
                new ModuleFile(Files.write(tmp.resolve("empty"), new byte[0]), ""));
        Booted b = Booted.boot(k.build(), Booted.config(64 * MIB).modules(modules));
        SparseMemory ram = b.ram();
        long r = b.response(req);
        assertEquals(2, ram.u64(r), "response revision 2");
        assertEquals(3, ram.u64(r + 8));
        long list = b.fromHhdm(ram.u64(r + 16));
        File first = file(b, ram.u64(list));
        File second = file(b, ram.u64(list + 8));
        File third = file(b, ram.u64(list + 16));
        checkPlaced(b, first, initrd);
        checkPlaced(b, second, font);
        checkPlaced(b, third, new byte[0]);
        assertEquals("/initrd.tar", first.path());
        assertEquals("root=ram", first.string());
        assertEquals("/font.psf", second.path());
        assertEquals("", second.string());
        assertEquals("/empty", third.path());
        long firstEnd = first.address() + 2 * PAGE;
        assertTrue(firstEnd <= second.address() || second.address() + PAGE <= first.address(), "own pages");
        assertEquals(List.of("module", "module", "module"), b.plan().files().stream().map(LoadedFile::role).toList());
    }

    @Test
    void noModulesNoResponse() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.MODULE, 1, 0, 0);
        Booted b = Booted.boot(k.build());
        assertEquals(-1, b.response(req));
        assertEquals("module request at 0x" + Long.toHexString(req) + " (no modules)",
                b.plan().ignoredRequests().get(0));
    }

    @Test
    void internalModulesAskedForButNoneFoundGiveAnEmptyResponse() throws Exception {
        Internal k = new Internal(1, "missing.bin", "", 0L, "gone.bin", "", 0L);
        Booted b = Booted.boot(k.kernel.build(), Booted.config(64 * MIB).files(path -> Optional.empty()));
        long r = b.response(k.request);
        assertTrue(r != -1, "Limine 9.x answers a module request whose modules are all missing");
        assertEquals(ModuleRequest.RESPONSE_REVISION, b.ram().u64(r));
        assertEquals(0, b.ram().u64(r + 8), "no modules");
        long list = b.ram().u64(r + 16);
        assertTrue(list != 0, "the list pointer is never null");
        b.fromHhdm(list);
        assertEquals(2, b.plan().warnings().size(), b.plan().warnings().toString());
        assertTrue(b.plan().ignoredRequests().isEmpty(), b.plan().ignoredRequests().toString());
    }

    /** A kernel asking for internal modules {path, string, flags}... before one configured module. */
    private static final class Internal {
        final TestKernel kernel = new TestKernel();
        final long request;

        Internal(int revision, Object... triples) {
            List<Long> entries = new ArrayList<>();
            for (int i = 0; i < triples.length; i += 3) {
                long path = kernel.cStringInBlob((String) triples[i]);
                long string = kernel.cStringInBlob((String) triples[i + 1]);
                entries.add(kernel.wordsInBlob(path, string, (Long) triples[i + 2]));
            }
            long array = kernel.wordsInBlob(entries.stream().mapToLong(Long::longValue).toArray());
            request = kernel.request(TestKernel.MODULE, revision, entries.size(), array);
        }
    }

    private static ModuleResolver volume(Map<String, byte[]> files, List<String> asked) {
        return path -> {
            asked.add(path);
            return Optional.ofNullable(files.get(path));
        };
    }

    @Test
    void internalModulesComeFirstResolvedAgainstTheKernelDirectory() throws Exception {
        byte[] a = "module a".getBytes(StandardCharsets.US_ASCII);
        byte[] c = "module c".getBytes(StandardCharsets.US_ASCII);
        String hash = HexFormat.of().formatHex(Blake2b.hash512(c));
        Internal k = new Internal(1, "a.bin", "first", ModuleRequest.REQUIRED,
                "missing.bin", "", 0L,
                "../shared/c.bin#" + hash, "third", ModuleRequest.REQUIRED);
        Map<String, byte[]> files = new HashMap<>();
        files.put("/boot/a.bin", a);
        files.put("/shared/c.bin", c);
        List<String> asked = new ArrayList<>();
        TestMachine cfg = Booted.config(64 * MIB).kernelPath("/boot/kernel.elf")
                .files(volume(files, asked))
                .modules(List.of(new ModuleFile(Files.write(tmp.resolve("cfg.bin"), new byte[]{9}), "cfg")));
        Booted b = Booted.boot(k.kernel.build(), cfg);
        assertEquals(List.of("/boot/a.bin", "/boot/missing.bin", "/shared/c.bin"), asked);
        long r = b.response(k.request);
        assertEquals(3, b.ram().u64(r + 8), "the optional missing module is left out");
        long list = b.fromHhdm(b.ram().u64(r + 16));
        File first = file(b, b.ram().u64(list));
        File second = file(b, b.ram().u64(list + 8));
        File third = file(b, b.ram().u64(list + 16));
        checkPlaced(b, first, a);
        assertEquals("/boot/a.bin", first.path());
        assertEquals("first", first.string());
        checkPlaced(b, second, c);
        assertEquals("/shared/c.bin", second.path(), "the hash is not part of the path");
        assertEquals("third", second.string());
        checkPlaced(b, third, new byte[]{9});
        assertEquals("/cfg.bin", third.path());
        assertEquals(List.of("internal module", "internal module", "module"),
                b.plan().files().stream().map(LoadedFile::role).toList());
    }

    @Test
    void aHostDirectoryIsTheBootVolume() throws Exception {
        byte[] initrd = "initrd".getBytes(StandardCharsets.US_ASCII);
        Files.createDirectories(tmp.resolve("boot"));
        Files.write(tmp.resolve("boot/initrd"), initrd);
        Internal k = new Internal(1, "boot/initrd", "", ModuleRequest.REQUIRED, "/absent", "", 0L);
        TestMachine machine = Booted.config(64 * MIB);
        Booted b = Booted.boot(k.kernel.build(), machine.files(BootVolume.hostDirectory(tmp).files().orElseThrow()));
        long r = b.response(k.request);
        assertEquals(1, b.ram().u64(r + 8), "the optional missing module is left out");
        File f = file(b, b.ram().u64(b.fromHhdm(b.ram().u64(r + 16))));
        checkPlaced(b, f, initrd);
        assertEquals("/boot/initrd", f.path());
        assertTrue(BootVolume.hostDirectory(tmp).kernelPath().isEmpty(), "the kernel sits at the volume's top");
    }

    @Test
    void requestRevisionZeroHasNoInternalModules() throws Exception {
        Internal k = new Internal(0, "a.bin", "", ModuleRequest.REQUIRED);
        Booted b = Booted.boot(k.kernel.build(), Booted.config(64 * MIB).files(path -> {
            throw new AssertionError("not asked");
        }));
        assertEquals(-1, b.response(k.request));
    }

    @Test
    void compressedModulesAreDecompressed() throws Exception {
        byte[] plain = new byte[20000];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i % 13);
        }
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(plain);
        }
        Internal k = new Internal(1, "/initrd.gz", "", ModuleRequest.REQUIRED | ModuleRequest.COMPRESSED);
        Booted b = Booted.boot(k.kernel.build(), Booted.config(64 * MIB)
                .files(volume(Map.of("/initrd.gz", gz.toByteArray()), new ArrayList<>())));
        File f = file(b, b.ram().u64(b.fromHhdm(b.ram().u64(b.response(k.request) + 16))));
        checkPlaced(b, f, plain);

        Internal bad = new Internal(1, "x", "", ModuleRequest.COMPRESSED);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(bad.kernel.build(),
                Booted.config(64 * MIB).files(path -> Optional.of(new byte[]{1, 2, 3}))));
        assertTrue(e.getMessage().contains("/x is marked compressed but is not a valid gzip file"), e.getMessage());
    }

    @Test
    void internalModuleErrorsAreClear() throws Exception {
        Internal required = new Internal(1, "initrd", "", ModuleRequest.REQUIRED);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(required.kernel.build()));
        assertEquals("kernel.elf: module request at 0x" + Long.toHexString(required.request)
                + ": internal module 0: required file /initrd not found (limu was given no boot volume)",
                e.getMessage());

        byte[] contents = {1, 2, 3};
        String wrong = "00".repeat(64);
        Internal hashed = new Internal(1, "m#" + wrong, "", 0L);
        e = assertThrows(BootException.class, () -> Booted.boot(hashed.kernel.build(),
                Booted.config(64 * MIB).files(path -> Optional.of(contents))));
        assertTrue(e.getMessage().endsWith("internal module 0: /m does not match the BLAKE2b hash in its path"),
                e.getMessage());

        Internal io = new Internal(1, "m", "", 0L);
        e = assertThrows(BootException.class, () -> Booted.boot(io.kernel.build(),
                Booted.config(64 * MIB).files(path -> {
                    throw new IOException("disk on fire");
                })));
        assertTrue(e.getMessage().endsWith("internal module 0: reading /m: disk on fire"), e.getMessage());

        TestKernel wild = new TestKernel();
        long req = wild.request(TestKernel.MODULE, 1, 1, 0x1000);
        e = assertThrows(BootException.class, () -> Booted.boot(wild.build()));
        assertEquals("kernel.elf: module request at 0x" + Long.toHexString(req)
                + ": internal module 0: internal_modules[0] at 0x1000 is outside the kernel image", e.getMessage());
    }

    @Test
    void volumePaths() {
        assertEquals("/initrd", VolumePath.ofFileName("C:\\images\\initrd"));
        assertEquals("/k", VolumePath.ofFileName("k"));
        assertEquals("/boot", VolumePath.directory("/boot/kernel"));
        assertEquals("/", VolumePath.directory("/kernel"));
        assertEquals("/boot/mods/a", VolumePath.resolve("/boot/kernel", "./mods//a"));
        assertEquals("/a", VolumePath.resolve("/boot/kernel", "../../a"));
        assertEquals("/x/y", VolumePath.resolve("/boot/kernel", "/x/./y"));
    }

    @Test
    void pathsAboveTheVolumeRootAreRefusedNotClamped() {
        assertEquals(Optional.of("/a"), VolumePath.resolveConfined("/boot/kernel", "../a"));
        assertEquals(Optional.empty(), VolumePath.resolveConfined("/boot/kernel", "../../a"));
        assertEquals(Optional.empty(), VolumePath.resolveConfined("/kernel", "x/../../a"));
        assertEquals(Optional.empty(), VolumePath.resolveConfined("/kernel", "/../etc/passwd"));
        assertEquals(Optional.of("/x"), VolumePath.resolveConfined("/kernel", "./y/../x"));
    }

    @Test
    void missingOrRefusedOptionalModulesAreLeftOutWithAWarning() throws Exception {
        byte[] a = {1};
        byte[] b2 = {2};
        Internal k = new Internal(1, "boot():/a.bin", "", 0L,
                "../outside.bin", "", 0L,
                "missing.bin", "", 0L,
                "tftp():/b.bin", "", 0L,
                "b.bin", "", 0L);
        List<String> asked = new ArrayList<>();
        Booted b = Booted.boot(k.kernel.build(), Booted.config(64 * MIB)
                .files(volume(Map.of("/a.bin", a, "/b.bin", b2, "/outside.bin", new byte[9]), asked)));
        assertEquals(List.of("/a.bin", "/missing.bin", "/b.bin"), asked, "escapes and other volumes never looked up");
        long r = b.response(k.request);
        assertEquals(2, b.ram().u64(r + 8));
        long list = b.fromHhdm(b.ram().u64(r + 16));
        assertEquals("/a.bin", file(b, b.ram().u64(list)).path());
        assertEquals("/b.bin", file(b, b.ram().u64(list + 8)).path());
        String where = "kernel.elf: module request at 0x" + Long.toHexString(k.request) + ": internal module ";
        assertEquals(List.of(
                where + "1: ../outside.bin left out: refused: it climbs above the boot volume's root",
                where + "2: missing.bin left out: /missing.bin not found",
                where + "3: tftp():/b.bin left out: limu reads only the boot volume, boot():"), b.plan().warnings());

        Internal required = new Internal(1, "../../x", "", ModuleRequest.REQUIRED);
        BootException e = assertThrows(BootException.class, () -> Booted.boot(required.kernel.build(),
                Booted.config(64 * MIB).files(path -> Optional.of(a))));
        assertTrue(e.getMessage().endsWith("internal module 0: required module ../../x: refused: it climbs above"
                + " the boot volume's root"), e.getMessage());
    }

    @Test
    void hostFoldersAreSearchedInOrderAndSymbolicLinksMustStayInside() throws Exception {
        Path kernelDir = Files.createDirectories(tmp.resolve("target/debug"));
        Path moduleDir = Files.createDirectories(tmp.resolve("mods"));
        Path secret = Files.write(tmp.resolve("secret.txt"), new byte[]{6, 6, 6});
        Files.write(kernelDir.resolve("both.bin"), new byte[]{1});
        Files.write(moduleDir.resolve("both.bin"), new byte[]{2});
        Files.write(moduleDir.resolve("only-here.bin"), new byte[]{3});
        Files.createSymbolicLink(kernelDir.resolve("link.bin"), secret);
        Files.createDirectories(moduleDir.resolve("sub"));
        Files.write(moduleDir.resolve("sub/inner.bin"), new byte[]{4});
        Files.createSymbolicLink(kernelDir.resolve("inside-link.bin"), moduleDir.resolve("sub/inner.bin"));
        Files.createSymbolicLink(moduleDir.resolve("dir-link"), tmp);

        ModuleResolver files = BootVolume.hostFolders(List.of(kernelDir, moduleDir)).files().orElseThrow();
        assertArrayEquals(new byte[]{1}, files.read("/both.bin").orElseThrow(), "the kernel's folder first");
        assertArrayEquals(new byte[]{3}, files.read("/only-here.bin").orElseThrow());
        assertArrayEquals(new byte[]{4}, files.read("/sub/inner.bin").orElseThrow());
        assertEquals(Optional.empty(), files.read("/nothing.bin"));
        RefusedPathException refused = assertThrows(RefusedPathException.class, () -> files.read("/link.bin"));
        assertTrue(refused.getMessage().contains("outside " + kernelDir.toRealPath()), refused.getMessage());
        assertThrows(RefusedPathException.class, () -> files.read("/inside-link.bin"),
                "a link into another of the folders still leaves its own");
        assertThrows(RefusedPathException.class, () -> files.read("/dir-link/secret.txt"));
    }
}
