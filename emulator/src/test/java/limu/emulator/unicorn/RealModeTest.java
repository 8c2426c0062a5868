// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#enterRealMode}: an engine opened in UC_MODE_64 (fresh, or after running
 * long-mode code) is put into the state INIT + SIPI leave an x86 CPU in and then runs real-mode
 * code, and an AP trampoline that goes on to protected mode and long mode with its own GDT and
 * page tables, as a kernel starting its APs itself has them.
 */
class RealModeTest {
    static final long RAM = 4L << 20;
    static final int SIGNATURE = 0x000306c3;

    /**
     * At 0x8000, 16-bit: {@code mov ax, 0x1234; out 0x80, ax; mov eax, edx; out 0x84, eax;
     * mov ax, [0x10]; out 0x82, ax; mov ax, cs; out 0x86, ax; hlt}.
     */
    static final String STUB = "b83412e7806689d066e784a11000e7828cc8e786f4";

    /**
     * At 0x8000: cli; DS = 0; lgdt (own GDT: 32-bit code 0x08, data 0x10, 64-bit code 0x18);
     * CR0.PE; ljmp 0x08:pm32. pm32: DS/SS = 0x10, ESP 0x9000, out 0x80 &lt;- 0x32 (32-bit);
     * CR4.PAE, CR3 = 0x10000, EFER.LME (rdmsr/wrmsr), CR0.PG; ljmp 0x18:lm64. lm64: DS/SS,
     * mov rax, 0x6464646464; push; pop rbx; shr rbx, 8; out 0x80 &lt;- ebx; hlt.
     * (GNU as: .code16/.code32/.code64, linked at 0x8000.)
     */
    static final String TRAMPOLINE = "fa31c08ed8660f0116a0800f20c06683c8010f22c066ea1d800000080066b810008ed88ed0"
            + "bc00900000b832000000e7800f20e083c8200f22e0b8000001000f22d8b9800000c00f320d000100000f300f20c00d0000"
            + "00800f22c0ea62800000180066b810008ed88ed048b86464646464000000505b48c1eb0889d8e780f490000000000000"
            + "0000ffff0000009acf00ffff00000092cf00ffff0000009aaf001f0080800000";

    final List<String> ports = new ArrayList<>();
    HostMemory ram;
    UnicornEngine cpu;

    @BeforeEach
    void setUp() {
        UnicornLibrary lib = UnicornLibrary.load(java.util.Optional.empty());
        ram = new HostMemory(lib, RAM);
        cpu = new UnicornEngine(lib, new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                return 0;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                ports.add(Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
                return false;
            }
        }, false);
        cpu.mapRam(0, RAM, ram.address());
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    private void load(long physical, String hex) {
        byte[] code = HexFormat.of().parseHex(hex);
        ram.write(physical, code, 0, code.length);
    }

    private void assertResetState() {
        assertEquals(0x60000010L, cpu.read(Register.CR0));
        assertEquals(0, cpu.read(Register.CR3));
        assertEquals(0, cpu.read(Register.CR4));
        assertEquals(0, cpu.readMsr(0xC0000080));
        assertEquals(0x0007040600070406L, cpu.readMsr(0x277));
        assertEquals(0x800, cpu.read(Register.CS) & 0xffff);
        assertEquals(0, cpu.read(Register.RIP));
        assertEquals(2, cpu.read(Register.RFLAGS));
        assertEquals(SIGNATURE, cpu.read(Register.RDX));
        assertEquals(0, cpu.read(Register.RAX));
        assertEquals(0, cpu.read(Register.RSP));
        assertEquals(0, cpu.cpl());
        assertEquals(new DescriptorTable(0, 0xffff), cpu.readGdtr());
        assertEquals(new DescriptorTable(0, 0x3ff), cpu.readIdtr());
    }

    @Test
    void aFreshEngineRunsRealModeCodeAtTheVectorsPage() {
        load(0x8000, STUB);
        ram.writeLong(0x10, 0xbeef);
        cpu.enterRealMode(0x08, SIGNATURE);
        assertResetState();
        Slice s = cpu.run(1000);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(List.of("80/2=1234", "84/4=306c3", "82/2=beef", "86/2=800"), ports);
        assertEquals(0x15, cpu.read(Register.RIP), "IP after the hlt (CS base not included)");
    }

    @Test
    void anEngineThatRanInLongModeStartsAnApTrampolineIntoLongMode() {
        // first long mode, as an AP that Limine started (paging, EFER.LMA, 64-bit code), ending in hlt
        ram.writeLong(0x1000, 0x2000 | 3);
        ram.writeLong(0x2000, 0x3000 | 3);
        ram.writeLong(0x3000, 0x83);               // 0-2 MiB identity, 2 MiB page
        ram.write(0x100000, new byte[] {(byte) 0xf4}, 0, 1);   // hlt
        cpu.write(Register.CR4, 0x20);
        cpu.writeMsr(0xC0000080, 0xd00);
        cpu.write(Register.CR3, 0x1000);
        cpu.write(Register.CR0, 0x80010011L);
        cpu.write(Register.RSP, 0x90000);
        cpu.write(Register.RIP, 0x100000);
        assertEquals(RunExit.RETURNED, cpu.run(10).exit());

        // the trampoline's own page tables: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000, 0-2 MiB identity
        ram.writeLong(0x10000, 0x11000 | 3);
        ram.writeLong(0x11000, 0x12000 | 3);
        ram.writeLong(0x12000, 0x83);
        load(0x8000, TRAMPOLINE);
        cpu.enterRealMode(0x08, SIGNATURE);
        assertResetState();
        Slice s = cpu.run(1000);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(List.of("80/4=32", "80/4=64646464"), ports);
        assertEquals(0x807f, cpu.read(Register.RIP), "after the 64-bit hlt");
        assertEquals(0x500, cpu.readMsr(0xC0000080) & 0x500, "EFER.LME and LMA");
        assertEquals(0x10000, cpu.read(Register.CR3));
        assertEquals(0x18, cpu.read(Register.CS) & 0xffff);

        // a second INIT/SIPI on the same engine works again
        ports.clear();
        load(0x8000, STUB);
        cpu.invalidateCode(0x8000, 0x100);
        cpu.enterRealMode(0x08, SIGNATURE);
        assertResetState();
        assertEquals(RunExit.RETURNED, cpu.run(1000).exit());
        assertEquals("80/2=1234", ports.get(0));
    }
}
