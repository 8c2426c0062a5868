// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shim's page walk that fills Unicorn's virtual TLB (limu_shim.c, "Guest paging"), on a
 * real engine with 4 KiB pages: accessed and dirty flags as the CPU sets them, page faults with
 * the SDM's error codes and the exact CR2, faults delivered within the running slice, stores
 * through aliases of code the engine has translated, and the host-side translation.
 */
class GuestPagingTest {
    static final long RAM = 4L << 20;
    static final long NX = 1L << 63;
    static final long CODE = 0x10000, DATA = 0x11000, READ_ONLY = 0x12000, ABSENT = 0x13000, RESERVED = 0x14000;
    static final long TARGET = 0x17000, ALIAS_NX = 0x15000, ALIAS_X = 0x16000;
    static final long PT = 0x4000;

    record Fault(int vector, int error, long cr2, long rip) {
    }

    final List<Fault> faults = new ArrayList<>();
    int skipOnFault;          // > 0: the handler moves RIP past the faulting instruction of this length
    HostMemory ram;
    UnicornEngine cpu;

    @BeforeEach
    void setUp() {
        UnicornLibrary lib = UnicornLibrary.load(Optional.empty());
        ram = new HostMemory(lib, RAM);
        cpu = new UnicornEngine(lib, new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                return 0;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                return true;
            }

            @Override
            public boolean exception(int vector, int errorCode, boolean software) {
                long rip = cpu.read(Register.RIP);
                faults.add(new Fault(vector, errorCode, cpu.read(Register.CR2), rip));
                if (skipOnFault > 0) {
                    cpu.write(Register.RIP, rip + skipOnFault);
                    return true;
                }
                return false;
            }
        }, false);
        assertTrue(cpu.guestPaging(), "the engine runs on limu's page walk");
        cpu.mapRam(0, RAM, ram.address());
        ram.writeLong(0x1000, 0x2000 | 7);                  // PML4[0] -> PDPT -> PD -> PT, user allowed
        ram.writeLong(0x2000, 0x3000 | 7);
        ram.writeLong(0x3000, PT | 7);
        pte(CODE, CODE | 3);
        pte(DATA, DATA | 3 | NX);
        pte(READ_ONLY, READ_ONLY | 1 | NX);
        pte(RESERVED, RESERVED | 3 | NX | 1L << 45);        // above MAXPHYADDR 40: reserved
        pte(TARGET, TARGET | 3);
        pte(ALIAS_NX, TARGET | 3 | NX);
        pte(ALIAS_X, TARGET | 3);
        cpu.write(Register.CR4, 0x20);
        cpu.writeMsr(0xC0000080, 0xd00);
        cpu.write(Register.CR3, 0x1000);
        cpu.write(Register.CR0, 0x80010011L);
        cpu.write(Register.RSP, DATA + 0x800);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    void pte(long linear, long entry) {
        ram.writeLong(PT + (linear >>> 12) * 8, entry);
    }

    long pteOf(long linear) {
        return ram.readLong(PT + (linear >>> 12) * 8);
    }

    Slice runAt(long rip, int... code) {
        byte[] b = new byte[code.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) code[i];
        }
        ram.write(rip, b, 0, b.length);
        cpu.invalidateCode(rip, b.length);       // host writes leave translated code stale
        cpu.write(Register.RIP, rip);
        return cpu.run(1000);
    }

    /** {@code mov rax, imm64} */
    static int[] movRax(long v) {
        int[] r = new int[10];
        r[0] = 0x48;
        r[1] = 0xb8;
        for (int i = 0; i < 8; i++) {
            r[2 + i] = (int) (v >>> (8 * i)) & 0xff;
        }
        return r;
    }

    static int[] concat(int[]... parts) {
        List<Integer> all = new ArrayList<>();
        for (int[] p : parts) {
            for (int v : p) {
                all.add(v);
            }
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void aReadSetsAccessedAndAWriteSetsDirtyOnEveryLevelUsed() {
        // mov rax, READ_ONLY; mov rbx, [rax]; mov rax, DATA; mov [rax], rbx; hlt
        Slice s = runAt(CODE, concat(movRax(READ_ONLY), new int[] {0x48, 0x8b, 0x18}, movRax(DATA),
                new int[] {0x48, 0x89, 0x18, 0xf4}));
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(0x20, pteOf(READ_ONLY) & 0x60, "read: A set, D clear");
        assertEquals(0x60, pteOf(DATA) & 0x60, "write: A and D set");
        assertEquals(0x20, pteOf(CODE) & 0x60, "fetch: A set, D clear");
        assertEquals(0, pteOf(TARGET) & 0x60, "untouched page: neither");
        for (long table : new long[] {0x1000, 0x2000, 0x3000}) {
            assertEquals(0x20, ram.readLong(table) & 0x20, "A on the upper-level entry at 0x" + Long.toHexString(table));
        }
    }

    @Test
    void pageFaultsCarryTheSdmErrorCodeAndTheExactAddressInCr2() {
        long[] at = {ABSENT + 0x123, ABSENT + 0x456, READ_ONLY + 0x8, RESERVED + 0x10};
        int[][] access = {{0x48, 0x8b, 0x18}, {0x48, 0x89, 0x18}, {0x48, 0x89, 0x18}, {0x48, 0x8b, 0x18}};
        int[] error = {0x0, 0x2, 0x3, 0x9};
        for (int i = 0; i < at.length; i++) {
            faults.clear();
            Slice s = runAt(CODE, concat(movRax(at[i]), access[i], new int[] {0xf4}));
            assertEquals(RunExit.INTERRUPT, s.exit());
            assertEquals(List.of(new Fault(14, error[i], at[i], CODE + 10)), faults, "access " + i);
        }
        faults.clear();
        Slice s = runAt(CODE, concat(movRax(DATA + 0x20), new int[] {0xff, 0xe0}));   // jmp rax into NX data
        assertEquals(RunExit.INTERRUPT, s.exit());
        assertEquals(List.of(new Fault(14, 0x11, DATA + 0x20, DATA + 0x20)), faults);
        faults.clear();
        s = runAt(CODE, concat(movRax(0x0000800000000010L), new int[] {0x48, 0x8b, 0x18}));  // non-canonical
        assertEquals(RunExit.INTERRUPT, s.exit());
        assertEquals(13, faults.get(0).vector());
        assertEquals(0, faults.get(0).error());
    }

    @Test
    void aDeliveredFaultGoesOnInTheSameSlice() {
        skipOnFault = 3;
        // three reads of absent pages, each skipped by the handler, then mov ebx, 7; hlt
        int[] read = {0x48, 0x8b, 0x18};
        Slice s = runAt(CODE, concat(movRax(ABSENT), read, movRax(ABSENT + 0x1000 * 0x20), read,
                movRax(ABSENT + 8), read, new int[] {0xbb, 7, 0, 0, 0, 0xf4}));
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(3, faults.size());
        assertEquals(7, cpu.read(Register.RBX));
    }

    /** Code at TARGET is {@code mov eax, imm32; hlt}; code at CODE patches imm32's low byte through an alias. */
    void patchThroughAliasAndRun(long alias, int value) {
        // mov rax, alias + 1; mov [rax], bl; mov rax, TARGET; jmp rax
        byte[] code = toBytes(concat(movRax(alias + 1), new int[] {0x88, 0x18}, movRax(TARGET), new int[] {0xff, 0xe0}));
        ram.write(CODE, code, 0, code.length);
        cpu.invalidateCode(CODE, code.length);
        cpu.write(Register.RBX, value);
        cpu.write(Register.RIP, CODE);
        assertEquals(RunExit.RETURNED, cpu.run(1000).exit());
        assertEquals(value, cpu.read(Register.RAX), "the patched instruction ran, not a stale translation");
    }

    static byte[] toBytes(int[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void storesThroughAnExecutableOrANoExecuteAliasReachTranslatedCode() {
        byte[] target = {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xf4};
        ram.write(TARGET, target, 0, target.length);
        cpu.write(Register.RIP, TARGET);
        assertEquals(RunExit.RETURNED, cpu.run(1000).exit());
        assertEquals(1, cpu.read(Register.RAX));
        for (int round = 0; round < 3; round++) {
            patchThroughAliasAndRun(ALIAS_NX, 2 + 2 * round);
            patchThroughAliasAndRun(ALIAS_X, 3 + 2 * round);
        }
    }

    @Test
    void hostReadsOfWordsCrossPagesInOneCallAndKeepTheWordsInRange() {
        long text = 0xffffffff80001234L;
        ram.writeLong(DATA + 0xff8, 0x1111);                 // the last word of DATA, then READ_ONLY's first two
        ram.writeLong(READ_ONLY, text);
        ram.writeLong(READ_ONLY + 8, 5);
        long[] three = new long[3];
        assertTrue(cpu.readVirtualWords(DATA + 0xff8, three));
        assertEquals(List.of(0x1111L, text, 5L), List.of(three[0], three[1], three[2]));
        byte[] bytes = new byte[10];
        assertTrue(cpu.readVirtual(DATA + 0xffc, bytes), "unaligned, across the page boundary");
        assertEquals(0x34, bytes[4] & 0xff);
        assertEquals(0xff, bytes[9] & 0xff);
        long[] words = new long[3];
        int[] index = new int[3];
        assertEquals(2, cpu.scanWords(DATA + 0xff8, 3, 0xffffffff80000000L, 0xffffffff8fffffffL, words, index),
                "the first word always, then only the one in range");
        assertEquals(List.of(0x1111L, text), List.of(words[0], words[1]));
        assertEquals(List.of(0, 1), List.of(index[0], index[1]));
        assertEquals(1, cpu.scanWords(DATA + 0xff8, 3, 0xffffffff90000000L, -1L, words, index));
        assertEquals(-1, cpu.scanWords(READ_ONLY + 0xff8, 2, 0, -1L, words, index), "the second word is on an absent page");
        assertTrue(!cpu.readVirtualWords(READ_ONLY + 0xff8, new long[2]));
    }

    @Test
    void hostMemoryComparesInPlace() {
        byte[] b = {1, 2, 3, 4, 5, 6, 7, 8};
        ram.write(DATA, b, 0, b.length);
        assertEquals(-1, ram.mismatch(DATA, b, 0, b.length));
        assertEquals(-1, ram.mismatch(DATA + 2, b, 2, 6), "from an offset in the expected bytes");
        b[5] = 9;
        assertEquals(5, ram.mismatch(DATA, b, 0, b.length));
        assertEquals(3, ram.mismatch(DATA + 2, b, 2, 6));
        assertEquals(-1, ram.mismatch(DATA, b, 0, 5), "only the first length bytes count");
    }

    @Test
    void hostTranslationUsesTheSameWalkAndLeavesFlagsAlone() {
        assertEquals(new UnicornEngine.Translation(DATA + 0x10, 0, 0), cpu.translate(DATA + 0x10, MemoryAccess.WRITE, 0));
        assertEquals(new UnicornEngine.Translation(-1, 14, 0x3), cpu.translate(READ_ONLY, MemoryAccess.WRITE, 0));
        assertEquals(new UnicornEngine.Translation(-1, 14, 0x11), cpu.translate(DATA, MemoryAccess.FETCH, 0));
        assertEquals(new UnicornEngine.Translation(-1, 14, 0x4), cpu.translate(ABSENT, MemoryAccess.READ, 3));
        assertEquals(new UnicornEngine.Translation(-1, 14, 0x9), cpu.translate(RESERVED, MemoryAccess.READ, 0));
        pte(DATA, DATA | 3 | NX);                  // supervisor only
        assertEquals(new UnicornEngine.Translation(-1, 14, 0x5), cpu.translate(DATA, MemoryAccess.READ, 3));
        assertEquals(TARGET + 4, cpu.translate(ALIAS_NX + 4));
        assertEquals(-1, cpu.translate(ABSENT));
        byte[] one = new byte[1];
        ram.write(TARGET + 0xfff, new byte[] {0x5a}, 0, 1);
        assertTrue(cpu.readVirtual(ALIAS_NX + 0xfff, one), "a debugger reads through any present mapping");
        assertEquals(0x5a, one[0]);
        assertTrue(!cpu.readVirtual(READ_ONLY + 0xfff, new byte[2]), "the second byte is on an absent page");
        for (long page : new long[] {DATA, READ_ONLY, TARGET, ALIAS_NX, ALIAS_X}) {
            assertEquals(0, pteOf(page) & 0x60, "no A/D from the host at 0x" + Long.toHexString(page));
        }
    }
}
