package limu.emulator;

import java.util.List;
import limu.bootloader.PhysicalMemory;
import limu.bootloader.RamRegion;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.UnicornLibrary;

/**
 * Guest RAM: one host allocation laid out over the guest-physical RAM regions
 * (below 3 GiB, then from 4 GiB up), shared by every vCPU's engine.
 */
public final class GuestMemory implements PhysicalMemory, AutoCloseable {
    private final List<RamRegion> regions;
    private final HostMemory host;

    GuestMemory(UnicornLibrary library, List<RamRegion> regions) {
        this.regions = List.copyOf(regions);
        this.host = new HostMemory(library, regions.stream().mapToLong(RamRegion::length).sum());
    }

    public List<RamRegion> regions() {
        return regions;
    }

    /** Maps every region into {@code engine}. */
    void mapInto(Engine engine) {
        long offset = 0;
        for (RamRegion r : regions) {
            engine.mapRam(r.base(), r.length(), host.address() + offset);
            offset += r.length();
        }
    }

    @Override
    public void write(long paddr, byte[] src, int off, int len) {
        while (len > 0) {
            long hostOffset = hostOffset(paddr);
            int n = (int) Math.min(len, bytesLeftInRegion(paddr));
            host.write(hostOffset, src, off, n);
            paddr += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void read(long paddr, byte[] dst, int off, int len) {
        while (len > 0) {
            long hostOffset = hostOffset(paddr);
            int n = (int) Math.min(len, bytesLeftInRegion(paddr));
            host.read(hostOffset, dst, off, n);
            paddr += n;
            off += n;
            len -= n;
        }
    }

    public long readLong(long paddr) {
        byte[] b = new byte[8];
        read(paddr, b, 0, 8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    private long hostOffset(long paddr) {
        long offset = 0;
        for (RamRegion r : regions) {
            if (paddr >= r.base() && paddr < r.base() + r.length()) {
                return offset + (paddr - r.base());
            }
            offset += r.length();
        }
        throw new IndexOutOfBoundsException(String.format("physical 0x%x is not RAM", paddr));
    }

    private long bytesLeftInRegion(long paddr) {
        for (RamRegion r : regions) {
            if (paddr >= r.base() && paddr < r.base() + r.length()) {
                return r.base() + r.length() - paddr;
            }
        }
        throw new IndexOutOfBoundsException(String.format("physical 0x%x is not RAM", paddr));
    }

    @Override
    public void close() {
        host.close();
    }
}
