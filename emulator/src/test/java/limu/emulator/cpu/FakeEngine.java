// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.Segment;
import limu.emulator.unicorn.Slice;
import limu.emulator.unicorn.SystemSegment;

/**
 * An {@link Engine} without Unicorn: registers in a map, 1 MiB of physical
 * memory, paging off unless a test turns it on. Enough to drive the delivery
 * logic byte by byte.
 */
final class FakeEngine implements Engine {
    final byte[] ram = new byte[1 << 20];
    final Map<Register, Long> regs = new EnumMap<>(Register.class);
    final Map<Integer, Long> msrs = new HashMap<>();
    final List<String> log = new ArrayList<>();
    DescriptorTable gdtr = new DescriptorTable(0, 0);
    DescriptorTable idtr = new DescriptorTable(0, 0);
    SystemSegment tr = new SystemSegment(0, 0, 0, 0);
    int cpl;
    boolean shadow;
    Segment cs;
    Segment ss;

    FakeEngine() {
        for (Register r : Register.values()) {
            regs.put(r, 0L);
        }
        msrs.put(0xC0000080, 0xd00L);
    }

    long u64(long physical) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (ram[(int) physical + i] & 0xff);
        }
        return v;
    }

    void put(long physical, long value) {
        for (int i = 0; i < 8; i++) {
            ram[(int) physical + i] = (byte) (value >>> (8 * i));
        }
    }

    @Override
    public void mapRam(long guestPhysical, long length, long hostAddress) {
    }

    @Override
    public void mapMmio(long guestPhysical, long length) {
    }

    @Override
    public void setInterruptPending(boolean pending) {
    }

    @Override
    public long sliceBlocks() {
        return 0;
    }

    @Override
    public long read(Register register) {
        return regs.get(register);
    }

    @Override
    public void write(Register register, long value) {
        regs.put(register, value);
    }

    @Override
    public DescriptorTable readGdtr() {
        return gdtr;
    }

    @Override
    public DescriptorTable readIdtr() {
        return idtr;
    }

    @Override
    public void writeGdtr(DescriptorTable table) {
        gdtr = table;
    }

    @Override
    public void writeIdtr(DescriptorTable table) {
        idtr = table;
    }

    @Override
    public SystemSegment readTr() {
        return tr;
    }

    @Override
    public SystemSegment readLdtr() {
        return new SystemSegment(0, 0, 0, 0);
    }

    @Override
    public long readMsr(int index) {
        return msrs.getOrDefault(index, 0L);
    }

    @Override
    public void writeMsr(int index, long value) {
        msrs.put(index, value);
    }

    @Override
    public boolean readVirtual(long linear, byte[] destination) {
        if (linear < 0 || linear + destination.length > ram.length) {
            return false;
        }
        System.arraycopy(ram, (int) linear, destination, 0, destination.length);
        return true;
    }

    @Override
    public void readPhysical(long physical, byte[] destination) {
        System.arraycopy(ram, (int) physical, destination, 0, destination.length);
    }

    @Override
    public void writePhysical(long physical, byte[] source) {
        System.arraycopy(source, 0, ram, (int) physical, source.length);
    }

    @Override
    public int cpl() {
        return cpl;
    }

    @Override
    public boolean interruptShadow() {
        return shadow;
    }

    @Override
    public void enterHandler(Segment newCs, Segment newSs) {
        cs = newCs;
        regs.put(Register.CS, (long) newCs.selector());
        if (newSs != null) {
            ss = newSs;
            regs.put(Register.SS, (long) newSs.selector());
            cpl = newSs.dpl();
        }
        shadow = false;
        log.add("enterHandler");
    }

    @Override
    public void exceptionHandled() {
        log.add("exceptionHandled");
    }

    @Override
    public void interceptMsrAccessAt(long linear) {
        log.add(String.format("msr hook 0x%x", linear));
    }

    @Override
    public Slice run(long blockBudget) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void requestStop() {
    }

    @Override
    public void close() {
    }
}
