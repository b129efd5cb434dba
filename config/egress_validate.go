package config

func (s Stack) validateEgress() error {
	if err := s.Egress.Validate(); err != nil {
		return atPath(Namespace+":egress", err)
	}
	return nil
}
