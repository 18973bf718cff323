package audio

import (
	"slices"
	"testing"
)

func TestDeviceNames(t *testing.T) {
	list := []Device{
		{Name: "Microsoft Sound Mapper - Input", Inputs: 2, IsDefaultInput: true},
		{Name: "Microsoft Sound Mapper - Output", Outputs: 2, IsDefaultOutput: true},
		{Name: "Headset", Inputs: 1, Outputs: 2},
	}
	ins, outs := deviceNames(list)
	if want := []string{"*Microsoft Sound Mapper - Input", "Headset"}; !slices.Equal(ins, want) {
		t.Errorf("inputs = %q, want %q", ins, want)
	}
	if want := []string{"*Microsoft Sound Mapper - Output", "Headset"}; !slices.Equal(outs, want) {
		t.Errorf("outputs = %q, want %q", outs, want)
	}
	if ins, outs := deviceNames(nil); ins != nil || outs != nil {
		t.Errorf("no devices: %q %q", ins, outs)
	}
}
