using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace Thru.Interop;

/// <summary>Permissions of a PT_LOAD segment (ELF <c>p_flags</c>).</summary>
[Flags]
public enum ElfSegmentFlags : uint
{
    /// <summary>PF_X.</summary>
    Execute = 1,
    /// <summary>PF_W.</summary>
    Write = 2,
    /// <summary>PF_R.</summary>
    Read = 4,
}

/// <summary>
/// Writes a minimal static little-endian ELF64 executable (ET_EXEC) for RISC-V Linux: an ELF header, one program
/// header per PT_LOAD segment, and the segments' bytes, each at a 4 KiB aligned file offset. No section headers.
/// </summary>
public sealed class ElfWriter
{
    /// <summary>EM_RISCV.</summary>
    public const ushort MachineRiscV = 243;

    /// <summary>EF_RISCV_RVC: the code may contain compressed instructions.</summary>
    public const uint FlagRvc = 0x1;

    /// <summary>EF_RISCV_FLOAT_ABI_SOFT (the value 0 of the float-ABI field).</summary>
    public const uint FlagFloatAbiSoft = 0x0;

    /// <summary>Page size used for segment alignment.</summary>
    public const ulong PageSize = 0x1000;

    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;

    private readonly List<Segment> _segments = [];

    /// <summary>The entry point (<c>e_entry</c>).</summary>
    public ulong Entry { get; set; }

    /// <summary>The <c>e_flags</c> word; RVC with the soft-float ABI unless changed.</summary>
    public uint Flags { get; set; } = FlagRvc | FlagFloatAbiSoft;

    /// <summary>
    /// Adds a PT_LOAD segment at <paramref name="virtualAddress"/> (4 KiB aligned) holding <paramref name="data"/>,
    /// zero-extended to <paramref name="memorySize"/> bytes in memory (0 = the data length).
    /// </summary>
    public void AddSegment(ulong virtualAddress, ReadOnlySpan<byte> data, ElfSegmentFlags flags, ulong memorySize = 0)
    {
        if (virtualAddress % PageSize != 0)
        {
            throw new ArgumentException($"Segment address 0x{virtualAddress:x} is not 4 KiB aligned.", nameof(virtualAddress));
        }

        var memSize = memorySize == 0 ? (ulong)data.Length : memorySize;
        if (memSize < (ulong)data.Length)
        {
            throw new ArgumentException("Memory size is smaller than the data.", nameof(memorySize));
        }

        foreach (var s in _segments)
        {
            if (virtualAddress < s.Address + s.MemorySize && s.Address < virtualAddress + memSize)
            {
                throw new ArgumentException($"Segment at 0x{virtualAddress:x} overlaps the one at 0x{s.Address:x}.", nameof(virtualAddress));
            }
        }

        _segments.Add(new Segment(virtualAddress, data.ToArray(), memSize, flags));
    }

    /// <summary>The complete file image.</summary>
    public byte[] ToArray()
    {
        if (_segments.Count == 0)
        {
            throw new InvalidOperationException("An executable needs at least one segment.");
        }

        var offsets = new ulong[_segments.Count];
        var cursor = AlignUp((ulong)(HeaderSize + (ProgramHeaderSize * _segments.Count)), PageSize);
        for (var i = 0; i < _segments.Count; i++)
        {
            offsets[i] = cursor;
            cursor = AlignUp(cursor + (ulong)_segments[i].Data.Length, PageSize);
        }

        var last = _segments.Count - 1;
        var image = new byte[checked((int)(offsets[last] + (ulong)_segments[last].Data.Length))];
        var h = image.AsSpan();

        // e_ident
        h[0] = 0x7f;
        h[1] = (byte)'E';
        h[2] = (byte)'L';
        h[3] = (byte)'F';
        h[4] = 2; // ELFCLASS64
        h[5] = 1; // ELFDATA2LSB
        h[6] = 1; // EV_CURRENT
        h[7] = 0; // ELFOSABI_SYSV
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2); // e_type = ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], MachineRiscV); // e_machine
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1); // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Entry); // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], HeaderSize); // e_phoff
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], 0); // e_shoff
        BinaryPrimitives.WriteUInt32LittleEndian(h[48..], Flags); // e_flags
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], HeaderSize); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], ProgramHeaderSize); // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)_segments.Count); // e_phnum
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], 64); // e_shentsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[60..], 0); // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(h[62..], 0); // e_shstrndx

        for (var i = 0; i < _segments.Count; i++)
        {
            var s = _segments[i];
            var p = h.Slice(HeaderSize + (i * ProgramHeaderSize), ProgramHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(p, 1); // p_type = PT_LOAD
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], offsets[i]); // p_offset
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], s.Address); // p_vaddr
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], s.Address); // p_paddr
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)s.Data.Length); // p_filesz
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], s.MemorySize); // p_memsz
            BinaryPrimitives.WriteUInt64LittleEndian(p[48..], PageSize); // p_align
            s.Data.CopyTo(h[(int)offsets[i]..]);
        }

        return image;
    }

    /// <summary>Writes the file image to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream) => stream.Write(ToArray());

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;

    private sealed record Segment(ulong Address, byte[] Data, ulong MemorySize, ElfSegmentFlags Flags);
}
