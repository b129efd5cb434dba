package config

import "reflect"

func (s Stack) validateEgress() error {
	if err := s.Egress.Validate(); err != nil {
		return atPath(Namespace+":egress", reflect.TypeOf(s.Egress), err)
	}
	return nil
}
