"""The code cells of ../shared/reference/autograd-tutorial.txt (PyTorch's autograd tutorial, in
Spanish), in order, with torch.manual_seed(0) first so the random cells are reproducible.

examples/autograd-tutorial.ts ports these cells line by line to jitgrad; make_tutorial_golden.py
runs this script and stores what it prints in autograd-tutorial.json.
Run with: /usr/bin/python3 test/golden/autograd_tutorial.py
"""
# In [1]:
import torch

torch.manual_seed(0)

# In [78]:
x = torch.ones(2, 2, requires_grad=True)
print(x)

# In [79]:
print(x.grad_fn)

# In [80]:
y = x + 2
print(y,'\n','-'*100)
print('Puntero referencia a Function Class de y:',y.grad_fn)

# In [81]:
z = y * y * 3
out = z.mean()
print(z)
print(out)

# In [82]:
a = torch.randn(2, 2)   #creamos el tensor
a = ((a * 3) / (a - 1)) # aplicamos operaciones sobre el
print(a.requires_grad)  # vemos si se le está haciendo seguimiento a los gradientes
a.requires_grad_(True)  # Cambiamos el valor del atributo
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

# In [83]:
out.backward()

# In [84]:
print('Valor de la variable')
print(z)
print('-'*100,'\nValor de los gradientes')
print(x.grad)

# In [85]:
x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y.data)

# In [86]:
gradients = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(gradients)
print(x.grad)

# In [77]:
print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)
