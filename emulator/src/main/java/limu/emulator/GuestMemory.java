// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.ArrayList;
import java.util.List;
import limu.bootloader.PhysicalMemory;
import limu.bootloader.RamRegion;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.UnicornLibrary;

/**
 * Guest-physical memory backed by host memory: RAM (one host allocation laid
 * over the RAM regions, below 3 GiB then from 4 GiB up) and memory-like
 * device windows such as the framebuffer. Mapped into every vCPU's engine,
 * so all CPUs and the host see the same bytes at once.
 */
public final class GuestMemory implements PhysicalMemory, AutoCloseable {
    /** One guest-physical range backed by {@code host} from {@code hostOffset}. */
    private record Bank(long base, long length, HostMemory host, long hostOffset) {
        boolean contains(long paddr) {
            return paddr >= base && paddr - base < length;
        }
    }

    private final UnicornLibrary library;
    private final List<RamRegion> ram;
    private final List<Bank> banks = new ArrayList<>();
    private final List<HostMemory> owned = new ArrayList<>();

    GuestMemory(UnicornLibrary library, List<RamRegion> regions) {
        this.library = library;
        this.ram = List.copyOf(regions);
        HostMemory host = own(regions.stream().mapToLong(RamRegion::length).sum());
        long offset = 0;
        for (RamRegion r : regions) {
            banks.add(new Bank(r.base(), r.length(), host, offset));
            offset += r.length();
        }
    }

    private HostMemory own(long bytes) {
        HostMemory m = new HostMemory(library, bytes);
        owned.add(m);
        return m;
    }

    /** Adds a device window of host memory at {@code base} (page-rounded); returns its host memory. */
    HostMemory addWindow(long base, long length) {
        long rounded = (length + 0xfff) & ~0xfffL;
        for (Bank b : banks) {
            if (base < b.base() + b.length() && b.base() < base + rounded) {
                throw new IllegalArgumentException(String.format("window 0x%x+0x%x overlaps 0x%x+0x%x",
                        base, rounded, b.base(), b.length()));
            }
        }
        HostMemory m = own(rounded);
        banks.add(new Bank(base, rounded, m, 0));
        return m;
    }

    /** A copy of every host block (RAM and device windows such as the framebuffer), for a snapshot. */
    List<HostMemory> copyAll() {
        List<HostMemory> copies = new ArrayList<>();
        try {
            for (HostMemory m : owned) {
                HostMemory c = new HostMemory(library, m.size());
                copies.add(c);
                c.copyFrom(m, false, 0);
            }
        } catch (RuntimeException | Error e) {
            copies.forEach(HostMemory::close);
            throw e;
        }
        return copies;
    }

    /** Puts back {@link #copyAll}'s bytes (only the 64 KiB pieces that differ); returns the bytes written. */
    long restoreAll(List<HostMemory> copies) {
        long written = 0;
        for (int i = 0; i < owned.size(); i++) {
            written += owned.get(i).copyFrom(copies.get(i), true, 64 << 10);
        }
        return written;
    }

    /** Every host block (RAM, device windows), in a fixed order (the reverse-debugging history). */
    List<HostMemory> hostBlocks() {
        return List.copyOf(owned);
    }

    UnicornLibrary library() {
        return library;
    }

    /** The RAM regions (not device windows). */
    public List<RamRegion> regions() {
        return ram;
    }

    /** Maps every bank into {@code engine}. */
    void mapInto(Engine engine) {
        for (Bank b : banks) {
            engine.mapRam(b.base(), b.length(), b.host().address() + b.hostOffset());
        }
    }

    @Override
    public void write(long paddr, byte[] src, int off, int len) {
        while (len > 0) {
            Bank b = bank(paddr);
            int n = (int) Math.min(len, b.base() + b.length() - paddr);
            b.host().write(b.hostOffset() + paddr - b.base(), src, off, n);
            paddr += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void read(long paddr, byte[] dst, int off, int len) {
        while (len > 0) {
            Bank b = bank(paddr);
            int n = (int) Math.min(len, b.base() + b.length() - paddr);
            b.host().read(b.hostOffset() + paddr - b.base(), dst, off, n);
            paddr += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Where the {@code length} bytes of guest RAM at {@code paddr} first differ from {@code expected}'s first ones, or
     * -1 when they are the same.
     */
    public int mismatch(long paddr, byte[] expected, int length) {
        int off = 0, len = length;
        while (len > 0) {
            Bank b = bank(paddr);
            int n = (int) Math.min(len, b.base() + b.length() - paddr);
            int i = b.host().mismatch(b.hostOffset() + paddr - b.base(), expected, off, n);
            if (i >= 0) {
                return off + i;
            }
            paddr += n;
            off += n;
            len -= n;
        }
        return -1;
    }

    public long readLong(long paddr) {
        Bank b = bank(paddr);
        if (paddr + 8 > b.base() + b.length()) {
            throw new IndexOutOfBoundsException(String.format("physical 0x%x+8 crosses a bank end", paddr));
        }
        return b.host().readLong(b.hostOffset() + paddr - b.base());
    }

    public void writeLong(long paddr, long value) {
        Bank b = bank(paddr);
        b.host().writeLong(b.hostOffset() + paddr - b.base(), value);
    }

    private Bank bank(long paddr) {
        for (Bank b : banks) {
            if (b.contains(paddr)) {
                return b;
            }
        }
        throw new IndexOutOfBoundsException(String.format("physical 0x%x is not backed by memory", paddr));
    }

    @Override
    public void close() {
        for (HostMemory m : owned) {
            m.close();
        }
    }
}
