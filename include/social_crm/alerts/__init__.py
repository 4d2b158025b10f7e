"""The live queue's alerts: messages past their SLA and spikes in what people write."""
