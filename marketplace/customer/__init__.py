"""The customer's half of the marketplace: command handlers, REST API and a CLI.

The marketplace plays the customer's side (buy, request, accept, choose windows,
cancel, message, review) so every pro flow can be driven end to end. Customer commands
are server-only: the pro app never sends them. Submodules are imported where needed
(``marketplace.customer.commands`` registers the handlers) so that importing this
package stays cheap and cycle-free.
"""
