// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.GIB;
import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FramebufferRequestTest {
    private static final long FB = 0xFD00_0000L;

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 5})
    void responseDescribesTheDisplay(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        long req = k.request(TestKernel.FRAMEBUFFER, 0);
        Booted b = Booted.boot(k.build());
        SparseMemory ram = b.ram();
        long r = b.response(req);
        assertEquals(1, ram.u64(r), "response revision 1: video modes listed");
        assertEquals(1, ram.u64(r + 8), "one framebuffer");
        long list = b.fromHhdm(ram.u64(r + 16));
        long fb = b.fromHhdm(ram.u64(list));
        assertEquals(b.plan().hhdmOffset() + FB, ram.u64(fb), "address: HHDM");
        assertEquals(1280, ram.u64(fb + 8));
        assertEquals(800, ram.u64(fb + 16));
        assertEquals(5120, ram.u64(fb + 24), "pitch");
        byte[] f = ram.bytes(fb, 80);
        assertEquals(32, LittleEndian.u16(f, 32), "bpp");
        assertEquals(1, f[34], "memory model RGB");
        assertEquals(8, f[35]);
        assertEquals(16, f[36], "red 8@16");
        assertEquals(8, f[37]);
        assertEquals(8, f[38], "green 8@8");
        assertEquals(8, f[39]);
        assertEquals(0, f[40], "blue 8@0");
        for (int i = 41; i < 48; i++) {
            assertEquals(0, f[i], "unused");
        }
        assertEquals(0, LittleEndian.u64(f, 48), "no EDID");
        assertEquals(0, LittleEndian.u64(f, 56), "EDID pointer NULL");
        assertEquals(1, LittleEndian.u64(f, 64), "one mode");
        long mode = b.fromHhdm(ram.u64(b.fromHhdm(LittleEndian.u64(f, 72))));
        byte[] m = ram.bytes(mode, 33);
        assertEquals(5120, LittleEndian.u64(m, 0));
        assertEquals(1280, LittleEndian.u64(m, 8));
        assertEquals(800, LittleEndian.u64(m, 16));
        assertEquals(32, LittleEndian.u16(m, 24));
        assertEquals(1, m[26]);
        assertEquals(16, m[28]);
        assertEquals(8, m[30]);
        assertEquals(0, m[32]);
        for (long a : new long[]{r, list, fb, mode}) {
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(a));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void framebufferIsInThePciHoleMappedWriteCombining(int revision) throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(revision);
        Booted b = Booted.boot(k.build(), Booted.config(6 * GIB));
        FramebufferPlan plan = b.plan().framebuffer().orElseThrow();
        assertEquals(new FramebufferPlan(FB, 1280, 800, 5120, 32, 0x3e8000), plan);
        assertEquals(0x3e8000, plan.mappedBytes());
        assertTrue(b.plan().memoryMap().contains(new MemoryMapEntry(FB, 0x3e8000, MemoryType.FRAMEBUFFER)));
        PageWalker w = b.walker();
        long hhdm = b.plan().hhdmOffset();
        for (long off : new long[]{0, 0x1000, 0x200000, 0x3e7ff8}) {
            PageWalker.Translation t = w.translate(hhdm + FB + off).orElseThrow();
            assertEquals(FB + off, t.physical());
            assertEquals(5, t.patIndex(), "PAT entry 5 = WC at +0x" + Long.toHexString(off));
            assertTrue(t.writable());
        }
        assertEquals(2 * MIB, w.translate(hhdm + FB).orElseThrow().pageSize(), "2 MiB page, PAT bit 12");
        assertEquals(4096, w.translate(hhdm + FB + 0x3e7000).orElseThrow().pageSize(), "4 KiB tail, PAT bit 7");
        if (revision == 0) {
            assertEquals(5, w.translate(FB + 0x1000).orElseThrow().patIndex(), "identity map too");
        }
        if (revision < 3) {
            PageWalker.Translation after = w.translate(hhdm + FB + 0x3e8000).orElseThrow();
            assertEquals(0, after.patIndex(), "the rest of the 4 GiB map stays write-back");
            assertEquals(0, w.translate(hhdm + 0xFEE0_0000L).orElseThrow().patIndex());
        } else {
            assertFalse(w.mapped(hhdm + FB + 0x3e8000));
        }
    }

    @Test
    void largeDisplaysMoveBelowTheFirstChoice() throws Exception {
        Booted b = Booted.boot(new TestKernel().build(), Booted.config(64 * MIB).framebuffer(7680, 4320));
        FramebufferPlan plan = b.plan().framebuffer().orElseThrow();
        assertEquals(0xE000_0000L, plan.physicalAddress());
        assertEquals(7680 * 4, plan.pitch());
        assertEquals(7680L * 4 * 4320, plan.byteSize());
        assertTrue(b.plan().memoryMap().contains(new MemoryMapEntry(0xE000_0000L, plan.mappedBytes(),
                MemoryType.FRAMEBUFFER)));

        Booted small = Booted.boot(new TestKernel().build(), Booted.config(64 * MIB).framebuffer(320, 200));
        assertEquals(new FramebufferPlan(FB, 320, 200, 1280, 32, 256_000), small.plan().framebuffer().orElseThrow());
        assertEquals(0x3f000, small.plan().framebuffer().orElseThrow().mappedBytes());
    }

    @Test
    void noDisplayNoFramebuffer() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.FRAMEBUFFER, 0);
        Booted b = Booted.boot(k.build(), Booted.config(64 * MIB).noFramebuffer());
        assertEquals(-1, b.response(req));
        assertEquals(Optional.empty(), b.plan().framebuffer());
        assertTrue(b.plan().memoryMap().stream().noneMatch(e -> e.type() == MemoryType.FRAMEBUFFER));
        assertEquals("framebuffer request at 0x" + Long.toHexString(req) + " (the machine has no display)",
                b.plan().ignoredRequests().get(0));
    }

    @Test
    void displayExistsWithoutTheRequest() throws Exception {
        Booted b = Booted.boot(new TestKernel().build());
        assertTrue(b.plan().framebuffer().isPresent(), "like a PC with a display: placed and listed regardless");
        assertTrue(b.plan().memoryMap().stream().anyMatch(e -> e.type() == MemoryType.FRAMEBUFFER));
    }
}
