// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.emulator.unicorn.CpuHooks;

/**
 * One CPU's port and MMIO accesses, as its engine reports them, handed to the {@link Board}.
 * An 8259 write that makes an interrupt deliverable needs nothing here: the 8259's output
 * reaches LINT0, and the local APIC reports it through {@link limu.devices.IpiSink#interruptPending}.
 */
final class DeviceAccess implements CpuHooks {
    private final Board board;
    private final int cpu;

    DeviceAccess(Board board, int cpu) {
        this.board = board;
        this.cpu = cpu;
    }

    @Override
    public int portIn(int port, int size) {
        return board.portRead(port, size);
    }

    /** True stops the slice at the end of the block: the board raised an event. */
    @Override
    public boolean portOut(int port, int size, int value) {
        return board.portWrite(port, size, value);
    }

    @Override
    public long mmioRead(long address, int size) {
        return board.mmioRead(cpu, address, size);
    }

    @Override
    public boolean mmioWrite(long address, int size, long value) {
        return board.mmioWrite(cpu, address, size, value);
    }
}
