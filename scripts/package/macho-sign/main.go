// macho-sign signs a Mach-O executable ad hoc (what `codesign --sign -` does on a Mac: a code directory of page
// hashes, no certificate) and checks such a signature, from Linux. macOS on arm64 runs no unsigned code, and
// injecting the SEA blob into Node voids the signature Node shipped with.
//
//	macho-sign unsign FILE                 remove FILE's signature, in place (`codesign --remove-signature`):
//	                                       postject must not move a signature it cannot update
//	macho-sign sign --id IDENTIFIER FILE   re-sign FILE ad hoc, in place
//	macho-sign verify FILE                 recompute every page hash, check the ad-hoc flag, the code limit and
//	                                       the NODE_SEA segment; print a JSON summary; exit 1 on any mismatch
package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	macho "github.com/blacktop/go-macho"
	"github.com/blacktop/go-macho/pkg/codesign"
	ctypes "github.com/blacktop/go-macho/pkg/codesign/types"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "macho-sign: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: macho-sign sign --id ID FILE | macho-sign verify FILE")
	}
	switch os.Args[1] {
	case "sign":
		fs := flag.NewFlagSet("sign", flag.ExitOnError)
		id := fs.String("id", "", "code signing identifier")
		_ = fs.Parse(os.Args[2:])
		if *id == "" || fs.NArg() != 1 {
			fail("usage: macho-sign sign --id ID FILE")
		}
		sign(fs.Arg(0), *id)
	case "unsign":
		if len(os.Args) != 3 {
			fail("usage: macho-sign unsign FILE")
		}
		unsign(os.Args[2])
	case "verify":
		if len(os.Args) != 3 {
			fail("usage: macho-sign verify FILE")
		}
		verify(os.Args[2])
	default:
		fail("unknown command %q", os.Args[1])
	}
}

func sign(path, id string) {
	orig, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	f, err := macho.NewFile(bytes.NewReader(orig))
	if err != nil {
		fail("%s: %v", path, err)
	}
	if err := f.CodeSign(&codesign.Config{ID: id, Flags: ctypes.ADHOC}); err != nil {
		fail("%s: signing: %v", path, err)
	}
	// go-macho's Save lays segments end to end, which shifts everything after a segment whose file size is not
	// page-aligned (postject's NODE_SEA). So take from its output only what signing changed, the header with
	// the load commands and the new __LINKEDIT (the last segment), and keep every other byte where it was:
	// the page hashes were computed over exactly that layout.
	var buf bytes.Buffer
	if err := f.SaveBuffer(&buf); err != nil {
		fail("%s: %v", path, err)
	}
	linkedit := f.Segment("__LINKEDIT")
	for _, seg := range f.Segments() {
		if seg.Offset > linkedit.Offset {
			fail("%s: segment %s lies after __LINKEDIT", path, seg.Name)
		}
	}
	saved := buf.Bytes()
	headerSize := 32 + int(f.FileHeader.SizeCommands)
	out := make([]byte, linkedit.Offset+linkedit.Filesz)
	copy(out, orig[:linkedit.Offset])
	copy(out, saved[:headerSize])
	copy(out[linkedit.Offset:], saved[uint64(len(saved))-linkedit.Filesz:])
	f.Close()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".signed")
	if err := os.WriteFile(tmp, out, 0o755); err != nil {
		fail("%v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		fail("%v", err)
	}
}

type summary struct {
	CPU        string `json:"cpu"`
	ID         string `json:"id"`
	Flags      string `json:"flags"`
	HashType   string `json:"hashType"`
	Pages      int    `json:"pages"`
	CodeLimit  uint64 `json:"codeLimit"`
	CDHash     string `json:"cdHash"`
	SeaSegment bool   `json:"seaSegment"`
	SeaBlob    uint64 `json:"seaBlobBytes"`
	SeaOffset  uint32 `json:"seaBlobOffset"`
}

func verify(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		fail("%s: not a Mach-O file: %v", path, err)
	}
	defer f.Close()
	cs := f.CodeSignature()
	if cs == nil || len(cs.CodeDirectories) == 0 {
		fail("%s: no code signature", path)
	}
	cd := cs.CodeDirectories[0]
	s := summary{CPU: f.CPU.String(), ID: cd.ID, Flags: cd.Header.Flags.String(), HashType: cd.Header.HashType.String(),
		Pages: len(cd.CodeSlots), CodeLimit: cd.CodeLimit, CDHash: cd.CDHash}
	if cd.Header.Flags&ctypes.ADHOC == 0 {
		fail("%s: signature is not ad hoc (flags %s)", path, s.Flags)
	}
	if uint64(cs.Offset) != cd.CodeLimit {
		fail("%s: code limit %d, but the signature starts at %d", path, cd.CodeLimit, cs.Offset)
	}
	var h func() hash.Hash
	switch cd.Header.HashSize {
	case 32:
		h = sha256.New
	case 20:
		h = sha1.New
	default:
		fail("%s: unexpected hash size %d", path, cd.Header.HashSize)
	}
	page := uint64(1) << cd.Header.PageSize
	want := int((cd.CodeLimit + page - 1) / page)
	if len(cd.CodeSlots) != want {
		fail("%s: %d page hashes for a code limit of %d (want %d)", path, len(cd.CodeSlots), cd.CodeLimit, want)
	}
	for i, slot := range cd.CodeSlots {
		start := uint64(i) * page
		end := min(start+page, cd.CodeLimit)
		hh := h()
		hh.Write(data[start:end])
		if got := hh.Sum(nil)[:cd.Header.HashSize]; !bytes.Equal(got, slot.Hash) {
			fail("%s: page %d (bytes %d-%d) does not match its hash in the signature", path, i, start, end)
		}
	}
	if seg := f.Segment("NODE_SEA"); seg != nil {
		s.SeaSegment = true
		if sec := f.Section("NODE_SEA", "__NODE_SEA_BLOB"); sec != nil {
			s.SeaBlob, s.SeaOffset = sec.Size, sec.Offset
		}
	}
	if !s.SeaSegment || s.SeaBlob == 0 {
		fail("%s: no NODE_SEA segment with a __NODE_SEA_BLOB section", path)
	}
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
}

// unsign drops LC_CODE_SIGNATURE from a 64-bit little-endian Mach-O, shrinks __LINKEDIT to end where the signature
// began and cuts the signature off the end of the file, as `codesign --remove-signature` does.
func unsign(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	le := binary.LittleEndian
	if len(data) < 32 || le.Uint32(data) != 0xfeedfacf {
		fail("%s: not a 64-bit little-endian Mach-O executable", path)
	}
	const lcSegment64, lcCodeSignature = 0x19, 0x1d
	ncmds, sizeofcmds := le.Uint32(data[16:]), le.Uint32(data[20:])
	csAt, linkeditAt := -1, -1
	var csOff, csSize uint32
	at := 32
	for i := uint32(0); i < ncmds; i++ {
		cmd, size := le.Uint32(data[at:]), int(le.Uint32(data[at+4:]))
		switch {
		case cmd == lcCodeSignature:
			csAt, csOff, csSize = at, le.Uint32(data[at+8:]), le.Uint32(data[at+12:])
		case cmd == lcSegment64 && string(bytes.TrimRight(data[at+8:at+24], "\x00")) == "__LINKEDIT":
			linkeditAt = at
		}
		at += size
	}
	if csAt < 0 {
		return // nothing to remove
	}
	if linkeditAt < 0 {
		fail("%s: no __LINKEDIT segment", path)
	}
	if uint64(csOff)+uint64(csSize) != uint64(len(data)) {
		fail("%s: the signature is not at the end of the file", path)
	}
	end := 32 + int(sizeofcmds)
	copy(data[csAt:end], data[csAt+16:end])
	clear(data[end-16 : end])
	le.PutUint32(data[16:], ncmds-1)
	le.PutUint32(data[20:], sizeofcmds-16)
	if linkeditAt > csAt {
		linkeditAt -= 16
	}
	fileoff := le.Uint64(data[linkeditAt+40:])
	le.PutUint64(data[linkeditAt+48:], uint64(csOff)-fileoff)
	if err := os.WriteFile(path, data[:csOff], 0o755); err != nil {
		fail("%v", err)
	}
}
