// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets one clear line on stderr, a documented exit code and no stack trace. */
class BadInputTest {
    @TempDir
    Path tmp;

    private Limu.Result runKernel(Path kernel) {
        Limu.Result r = Limu.run("run", kernel.toString(), "--timeout", "30s");
        r.assertNoStackTrace();
        return r;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] hello() throws IOException {
        return Files.readAllBytes(Limu.kernel("hello.elf"));
    }

    private static void assertRejected(Limu.Result r, String... fragments) {
        assertEquals(4, r.exitCode(), r.toString());
        for (String f : fragments) {
            assertTrue(r.stderr().contains(f), "expected '" + f + "'\n" + r);
        }
        assertTrue(r.stderr().startsWith("limu: "), r.toString());
        assertEquals("", r.stdout(), r.toString());
    }

    @Test
    void missingFile() {
        assertRejected(runKernel(tmp.resolve("nope.elf")), "nope.elf: no such file");
    }

    @Test
    void textFile() throws IOException {
        assertRejected(runKernel(write("notes.txt", "just some text\n".repeat(20).getBytes())),
                "notes.txt", "not an ELF");
    }

    @Test
    void elf32() throws IOException {
        byte[] b = hello();
        b[4] = 1; // EI_CLASS = ELFCLASS32
        assertRejected(runKernel(write("k32.elf", b)), "k32.elf", "32-bit");
    }

    @Test
    void armElf() throws IOException {
        byte[] b = hello();
        b[0x12] = (byte) 183; // e_machine = EM_AARCH64
        b[0x13] = 0;
        assertRejected(runKernel(write("arm.elf", b)), "arm.elf", "not x86_64");
    }

    @Test
    void truncatedElf() throws IOException {
        assertRejected(runKernel(write("cut.elf", Arrays.copyOf(hello(), 0x2000))), "cut.elf", "truncated");
    }

    @Test
    void truncatedHeader() throws IOException {
        assertRejected(runKernel(write("stub.elf", Arrays.copyOf(hello(), 40))), "stub.elf");
    }

    @Test
    void overlappingSegments() throws IOException {
        byte[] b = hello();
        List<long[]> loads = ProgramHeaders.loads(b);
        // move the second PT_LOAD onto the first one
        ProgramHeaders.setVaddr(b, (int) loads.get(1)[0], loads.get(0)[1]);
        assertRejected(runKernel(write("overlap.elf", b)), "overlap.elf", "overlap");
    }

    @Test
    void segmentOutsideTheHigherHalf() throws IOException {
        byte[] b = hello();
        List<long[]> loads = ProgramHeaders.loads(b);
        ProgramHeaders.setVaddr(b, (int) loads.get(0)[0], 0x400000);
        assertRejected(runKernel(write("low.elf", b)), "low.elf", "0xffffffff80000000");
    }

    @Test
    void directoryInsteadOfAFile() {
        Limu.Result r = runKernel(tmp);
        assertEquals(4, r.exitCode(), r.toString());
    }

    @Test
    void unknownOption() {
        Limu.Result r = Limu.run("run", "--frobnicate", "x.elf");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("Unknown option: '--frobnicate'"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void badMemorySizeAndDuration() throws IOException {
        Path k = Limu.kernel("hello.elf");
        Limu.Result r = Limu.run("run", k.toString(), "--memory", "lots");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("'lots' is not a size"), r.toString());
        r = Limu.run("run", k.toString(), "--timeout", "soon");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("'soon' is not a duration"), r.toString());
        r = Limu.run("run", k.toString(), "--memory", "1M");
        assertTrue(r.exitCode() == 2 || r.exitCode() == 4, r.toString());
        assertTrue(r.stderr().startsWith("limu: "), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void noArguments() {
        Limu.Result r = Limu.run("run");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("Missing required parameter: 'KERNEL'"), r.toString());
    }

    @Test
    void missingUnicornLibrary() {
        Limu.Result r = Limu.run(Map.of("LIMU_UNICORN_LIB", tmp.resolve("libunicorn.so.2").toString()),
                "run", Limu.kernel("hello.elf").toString());
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("libunicorn not found at"), r.toString());
        assertTrue(r.stderr().contains("scripts/setup.sh"), r.toString());
        r.assertNoStackTrace();
    }

    /** A library that answers uc_version like Debian's Unicorn 2.0.1 must be refused before anything else. */
    @Test
    void unicorn2_0IsRefused() throws Exception {
        Path src = tmp.resolve("fake.c");
        Files.writeString(src, "unsigned int uc_version(unsigned int *major, unsigned int *minor) {\n"
                + "  if (major) *major = 2; if (minor) *minor = 0; return 0x020001ff; }\n");
        Path lib = tmp.resolve("libunicorn.so.2");
        Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", lib.toString(), src.toString())
                .inheritIO().start();
        assertEquals(0, gcc.waitFor());
        Limu.Result r = Limu.run(Map.of("LIMU_UNICORN_LIB", lib.toString()), "run", Limu.kernel("hello.elf").toString());
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("is version 2.0.1; limu needs Unicorn 2.1 or newer"), r.toString());
        r.assertNoStackTrace();
        // and the same refusal for an explicit --unicorn-lib
        r = Limu.run("run", "--unicorn-lib", lib.toString(), Limu.kernel("hello.elf").toString());
        assertEquals(6, r.exitCode(), r.toString());
    }

    /** Minimal ELF64 program-header access for building malformed kernels from a good one. */
    static final class ProgramHeaders {
        /** For each PT_LOAD: {offset of its program header, p_vaddr, p_memsz}. */
        static List<long[]> loads(byte[] elf) {
            ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
            long phoff = b.getLong(0x20);
            int phentsize = b.getShort(0x36) & 0xffff;
            int phnum = b.getShort(0x38) & 0xffff;
            List<long[]> r = new java.util.ArrayList<>();
            for (int i = 0; i < phnum; i++) {
                int at = (int) (phoff + (long) i * phentsize);
                if (b.getInt(at) == 1) {
                    r.add(new long[] {at, b.getLong(at + 0x10), b.getLong(at + 0x28)});
                }
            }
            return r;
        }

        static void setVaddr(byte[] elf, int header, long vaddr) {
            ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(header + 0x10, vaddr);
            b.putLong(header + 0x18, vaddr);
        }
    }
}
