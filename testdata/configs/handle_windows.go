package configs

type handle uintptr

type fdT struct{ h uintptr }

func (*fdT) Close() error { return nil }
